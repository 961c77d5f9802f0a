import SMOS.Certificate

/-!
# An inductive invariant covers every reachable state

The generic theorem that carries the weight of P1, P2, P3, P5 and P7: a certificate that
covers the initial state and is closed under every transition covers every reachable state,
however many components are spawned (they are all folded into summary components).
-/

namespace SMOS

variable {sys : Sys} {cert : Certificate} {s : State}

theorem covers_addCap {e : Edge} (hcov : Covers cert s) (he : e.abs ∈ cert.caps) :
    Covers cert (s.addCap e) := by
  constructor
  · exact hcov.comps
  · intro x hx
    have hx' : x ∈ e :: s.caps := hx
    cases List.mem_cons.mp hx' with
    | inl heq => rw [heq]; exact he
    | inr hin => exact hcov.caps x hin
  · exact hcov.handles

theorem covers_addHandle {h : Handle} (hcov : Covers cert s) (hh : h.abs ∈ cert.handles) :
    Covers cert (s.addHandle h) := by
  constructor
  · exact hcov.comps
  · exact hcov.caps
  · intro x hx
    have hx' : x ∈ h :: s.handles := hx
    cases List.mem_cons.mp hx' with
    | inl heq => rw [heq]; exact hh
    | inr hin => exact hcov.handles x hin

theorem covers_record {a : Access} (hcov : Covers cert s) : Covers cert (s.record a) := by
  constructor
  · exact hcov.comps
  · exact hcov.caps
  · exact hcov.handles

theorem covers_revoke (hcov : Covers cert s) (t : Target) : Covers cert (s.revoke t) := by
  constructor
  · exact hcov.comps
  · intro x hx
    have hx' : x ∈ s.caps.filter (fun e => !decide (e.target = t)) := hx
    exact hcov.caps x (List.mem_filter.mp hx').1
  · exact hcov.handles

theorem covers_close (hcov : Covers cert s) (h : Handle) : Covers cert (s.close h) := by
  constructor
  · exact hcov.comps
  · exact hcov.caps
  · intro x hx
    have hx' : x ∈ s.handles.filter (fun g => !decide (g = h)) := hx
    exact hcov.handles x (List.mem_filter.mp hx').1

theorem covers_spawn {parent : Component} {rule : SpawnRule} (hc : Closed sys cert)
    (hcov : Covers cert s) (hp : parent ∈ s.comps) (hr : rule ∈ sys.policy.spawn)
    (hpar : rule.parent = parent.sid) :
    Covers cert (s.spawn parent rule.child rule.role) := by
  have ⟨hchild, htcb, hcnode, hvspace⟩ := hc.spawn (hcov.comps parent hp) hr hpar
  have habs : (s.child rule.child rule.role).abs = summary rule.child rule.role := rfl
  constructor
  · intro x hx
    have hx' : x ∈ s.child rule.child rule.role :: s.comps := hx
    cases List.mem_cons.mp hx' with
    | inl heq => rw [heq, habs]; exact hchild
    | inr hin => exact hcov.comps x hin
  · intro x hx
    have hx' : x ∈ Edge.mk parent (.own (s.child rule.child rule.role) .tcb) .control ::
        Edge.mk parent (.own (s.child rule.child rule.role) .cnode) .control ::
        Edge.mk parent (.own (s.child rule.child rule.role) .vspace) .control :: s.caps := hx
    cases List.mem_cons.mp hx' with
    | inl heq => rw [heq]; exact htcb
    | inr hx2 =>
      cases List.mem_cons.mp hx2 with
      | inl heq => rw [heq]; exact hcnode
      | inr hx3 =>
        cases List.mem_cons.mp hx3 with
        | inl heq => rw [heq]; exact hvspace
        | inr hin => exact hcov.caps x hin
  · exact hcov.handles

/-- Kernel steps keep a `KernelClosed` certificate covering the state. -/
theorem covers_kstep (hc : KernelClosed sys cert) {s' : State} (hcov : Covers cert s)
    (h : KStep s s') : Covers cert s' := by
  cases h with
  | grant h1 h2 h3 h4 =>
    exact covers_addCap hcov
      (hc.grant (hcov.caps _ h1) (hcov.caps _ h2) (hcov.caps _ h3) (hcov.caps _ h4))
  | reply h1 h2 h3 h4 h5 =>
    exact covers_addCap hcov
      (hc.reply (hcov.caps _ h1) (hcov.caps _ h2) (hcov.caps _ h3) (hcov.caps _ h4)
        (hcov.caps _ h5))
  | copyOut h1 h2 => exact covers_addCap hcov (hc.copyOut (hcov.caps _ h1) (hcov.caps _ h2))
  | copyIn h1 h2 => exact covers_addCap hcov (hc.copyIn (hcov.caps _ h1) (hcov.caps _ h2))
  | tcbCNode h1 => exact covers_addCap hcov (hc.tcb (hcov.caps _ h1)).1
  | tcbVSpace h1 => exact covers_addCap hcov (hc.tcb (hcov.caps _ h1)).2
  | revoke t => exact covers_revoke hcov t

/-- Every permitted step keeps a `Closed` certificate covering the state. -/
theorem covers_step (hc : Closed sys cert) {s' : State} (hcov : Covers cert s)
    (h : Step sys s s') : Covers cert s' := by
  cases h with
  | kernel hk => exact covers_kstep hc.toKernelClosed hcov hk
  | spawn hp hr hpar => exact covers_spawn hc hcov hp hr hpar
  | connect hcl hsv hr hcs hss =>
    exact covers_addCap hcov
      (hc.connect (hcov.comps _ hcl) (hcov.comps _ hsv) hr hcs hss)
  | openObj ho hconn _ hauth =>
    exact covers_addHandle hcov (hc.openObj ho (hcov.caps _ hconn) (mem_of_memB hauth))
  | call _ _ _ => exact covers_record hcov
  | @pass hd rcv _ hh hrc hr hsnd hrcv hcls =>
    -- `Closed.pass` is about the abstract handle and receiver: name them, or Lean takes the
    -- concrete ones from the expected type.
    exact covers_addHandle hcov
      (hc.pass (h := hd.abs) (r := rcv.abs) (hcov.handles _ hh) (hcov.comps _ hrc) hr hsnd hrcv hcls)
  | close g => exact covers_close hcov g

/-- **Generic invariant theorem (kernel).** A certificate that contains the initial state and
is closed under every kernel step covers every state the kernel rules can reach. -/
theorem covers_of_kreachable (hc : KernelClosed sys cert) (h : KReachable sys s) :
    Covers cert s := by
  induction h with
  | init => exact hc.init
  | step _ hk ih => exact covers_kstep hc ih hk

/-- **Generic invariant theorem (dynamic).** A certificate that contains the initial state and
is closed under every kernel and dynamic step covers every reachable state. -/
theorem covers_of_reachable (hc : Closed sys cert) (h : Reachable sys s) : Covers cert s := by
  induction h with
  | init => exact hc.init
  | step _ hst ih => exact covers_step hc ih hst

end SMOS
