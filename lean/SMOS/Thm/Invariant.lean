import SMOS.Certificate

/-!
# An inductive invariant covers every reachable state

The generic theorem that carries the weight of P1, P2, P3, P5 and P7: a certificate that
covers the initial state and is closed under every transition covers every reachable state,
however many components are spawned (they are all folded into summary components).
-/

namespace SMOS

variable {sys : Sys} {cert : Certificate} {s : State}

/-! ## What `CertHas` gives and needs -/

theorem CertHasBy.elim {R : Target → Nat → Nat → Prop} {c : Cap} (h : CertHasBy R cert c) :
    ∃ rs b, Cap.mk c.holder.abs c.target.abs rs b ∈ cert.caps ∧ (∀ r, r ∈ c.rights → r ∈ rs) ∧
      R c.target b c.badge := by
  unfold CertHasBy at h
  exact h

theorem CertHas.elim {c : Cap} (h : CertHas cert c) :
    ∃ rs b, Cap.mk c.holder.abs c.target.abs rs b ∈ cert.caps ∧ (∀ r, r ∈ c.rights → r ∈ rs) ∧
      BadgeCovers cert.declared b c.badge c.target.kind :=
  CertHasBy.elim h

theorem CertHasBy.intro {R : Target → Nat → Nat → Prop} {x : Component} {t : Target}
    {r rs : List Right} {b b' : Nat}
    (h : Cap.mk x.abs t.abs rs b' ∈ cert.caps) (hr : ∀ ρ, ρ ∈ r → ρ ∈ rs)
    (hb : R t b' b) : CertHasBy R cert (Cap.mk x t r b) := by
  unfold CertHasBy
  exact ⟨rs, b', h, hr, hb⟩

/-- What kernel steps need of a badge relation to keep caps accounted for: an unbadged cap is
listed as such, and what stands for an unbadged cap stands for its minted copies. -/
structure BadgeRel (R : Target → Nat → Nat → Prop) : Prop where
  zero : ∀ {t : Target}, R t 0 0
  mint : ∀ {t : Target} {b' n : Nat}, R t b' 0 → mintable t.kind = true → R t b' n

/-- A cap listed (abstracted) with a badge `R` relates to its own is accounted for. -/
theorem certHasBy_of_mem {R : Target → Nat → Nat → Prop} {c : Cap}
    (h : c.abs ∈ cert.caps) (hb : R c.target c.badge c.badge) : CertHasBy R cert c := by
  cases c
  exact CertHasBy.intro h (fun _ hr => hr) hb

/-- A rule that gives `y` a copy of each of `x`'s caps to `t` keeps the copy accounted for. -/
theorem certHasBy_move {R : Target → Nat → Nat → Prop} {x y : Component} {t : Target}
    {r : List Right} {b : Nat} (h : CertHasBy R cert (Cap.mk x t r b))
    (f : ∀ {rs : List Right} {b' : Nat}, Cap.mk x.abs t.abs rs b' ∈ cert.caps →
      Cap.mk y.abs t.abs rs b' ∈ cert.caps) :
    CertHasBy R cert (Cap.mk y t r b) := by
  obtain ⟨rs, b', m, sub, hb⟩ := h.elim
  exact CertHasBy.intro (f m) sub hb

/-- `BadgeCovers` is a badge relation: a minted copy of an unbadged cap is accounted for by what
accounts for the original. -/
theorem badgeCovers_rel (D : List Nat) : BadgeRel (fun t b' b => BadgeCovers D b' b t.kind) where
  zero := Or.inl rfl
  mint := by
    intro t b' n h hm
    show BadgeCovers D b' n t.kind
    have h' : BadgeCovers D b' 0 t.kind := h
    unfold BadgeCovers at h' ⊢
    cases h' with
    | inl h0 => exact Or.inr (Or.inl ⟨h0, hm⟩)
    | inr h1 =>
      cases h1 with
      | inl h2 => exact Or.inr (Or.inl h2)
      | inr h3 => exact absurd rfl h3.2.1

/-- `BadgeBy φ` is a badge relation when `φ` lists badge 0 as 0. -/
theorem badgeBy_rel {φ : Target → Nat → Nat} (h0 : ∀ t, φ t 0 = 0) : BadgeRel (BadgeBy φ) where
  zero := Or.inl (h0 _).symm
  mint := by
    intro t b' n h hm
    unfold BadgeBy at h ⊢
    cases h with
    | inl he => exact Or.inr ⟨he.trans (h0 t), hm⟩
    | inr hz => exact Or.inr ⟨hz.1, hm⟩

/-- Any endpoint cap of the certificate accounts for a fresh (badged, undeclared) connection
cap. -/
theorem badgeCovers_connect {D : List Nat} {b' n : Nat} (hn : n ≠ 0) (hD : n ∉ D) :
    BadgeCovers D b' n .endpoint := by
  unfold BadgeCovers
  cases b' with
  | zero => exact Or.inr (Or.inl ⟨rfl, rfl⟩)
  | succ k => exact Or.inr (Or.inr ⟨Nat.succ_ne_zero k, hn, hD⟩)

/-! ## Each step keeps the state covered -/

theorem capsBy_addCap {R : Target → Nat → Nat → Prop} {e : Cap}
    (hcaps : ∀ x, x ∈ s.caps → CertHasBy R cert x) (he : CertHasBy R cert e) :
    ∀ x, x ∈ (s.addCap e).caps → CertHasBy R cert x := by
  intro x hx
  have hx' : x ∈ e :: s.caps := hx
  cases List.mem_cons.mp hx' with
  | inl heq => rw [heq]; exact he
  | inr hin => exact hcaps x hin

theorem covers_addCap {e : Cap} (hcov : Covers cert s) (he : CertHas cert e) :
    Covers cert (s.addCap e) :=
  ⟨hcov.comps, capsBy_addCap (R := fun t b' b => BadgeCovers cert.declared b' b t.kind) hcov.caps he, hcov.handles⟩

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

theorem covers_close (hcov : Covers cert s) (h : Handle) : Covers cert (s.close h) := by
  constructor
  · exact hcov.comps
  · exact hcov.caps
  · intro x hx
    have hx' : x ∈ s.handles.filter (fun g => !decide (g = h)) := hx
    exact hcov.handles x (List.mem_filter.mp hx').1

/-- A spawn keeps every cap accounted for, under any badge relation: the parent's control caps
to the child are listed, unbadged, for the child's summary. -/
theorem capsBy_spawn {R : Target → Nat → Nat → Prop} (hR : BadgeRel R) {parent : Component}
    {rule : SpawnRule} (hc : Closed sys cert) (hcov : Covers cert s)
    (hcaps : ∀ x, x ∈ s.caps → CertHasBy R cert x) (hp : parent ∈ s.comps)
    (hr : rule ∈ sys.policy.spawn) (hpar : rule.parent = parent.sid) :
    ∀ x, x ∈ (s.spawn parent rule.child rule.role).caps → CertHasBy R cert x := by
  have ⟨_, htcb, hcnode, hvspace⟩ := hc.spawn (hcov.comps parent hp) hr hpar
  intro x hx
  have hx' : x ∈ Cap.mk parent (.own (s.child rule.child rule.role) .tcb) [.control] 0 ::
      Cap.mk parent (.own (s.child rule.child rule.role) .cnode) [.control] 0 ::
      Cap.mk parent (.own (s.child rule.child rule.role) .vspace) [.control] 0 :: s.caps := hx
  cases List.mem_cons.mp hx' with
  | inl heq => rw [heq]; exact certHasBy_of_mem htcb hR.zero
  | inr hx2 =>
    cases List.mem_cons.mp hx2 with
    | inl heq => rw [heq]; exact certHasBy_of_mem hcnode hR.zero
    | inr hx3 =>
      cases List.mem_cons.mp hx3 with
      | inl heq => rw [heq]; exact certHasBy_of_mem hvspace hR.zero
      | inr hin => exact hcaps x hin

theorem covers_spawn {parent : Component} {rule : SpawnRule} (hc : Closed sys cert)
    (hcov : Covers cert s) (hp : parent ∈ s.comps) (hr : rule ∈ sys.policy.spawn)
    (hpar : rule.parent = parent.sid) :
    Covers cert (s.spawn parent rule.child rule.role) := by
  have ⟨hchild, _, _, _⟩ := hc.spawn (hcov.comps parent hp) hr hpar
  have habs : (s.child rule.child rule.role).abs = summary rule.child rule.role := rfl
  constructor
  · intro x hx
    have hx' : x ∈ s.child rule.child rule.role :: s.comps := hx
    cases List.mem_cons.mp hx' with
    | inl heq => rw [heq, habs]; exact hchild
    | inr hin => exact hcov.comps x hin
  · exact capsBy_spawn (badgeCovers_rel _) hc hcov hcov.caps hp hr hpar
  · exact hcov.handles

/-- Kernel steps keep every cap accounted for, under any badge relation: one case per rule. -/
theorem capsBy_kstep {R : Target → Nat → Nat → Prop} (hR : BadgeRel R) (hc : KernelClosed sys cert)
    {s' : State} (hcaps : ∀ x, x ∈ s.caps → CertHasBy R cert x) (h : KStep sys s s') :
    ∀ x, x ∈ s'.caps → CertHasBy R cert x := by
  cases h with
  | grant h1 hs hg h2 hr h3 =>
    obtain ⟨rs1, b1, m1, s1, _⟩ := (hcaps _ h1).elim
    obtain ⟨rs2, b2, m2, s2, _⟩ := (hcaps _ h2).elim
    exact capsBy_addCap hcaps (certHasBy_move (hcaps _ h3)
      (fun m3 => hc.grant m1 (s1 _ hs) (s1 _ hg) m2 (s2 _ hr) m3))
  | reply h1 hs hg h2 hr hgr h3 =>
    obtain ⟨rs1, b1, m1, s1, _⟩ := (hcaps _ h1).elim
    obtain ⟨rs2, b2, m2, s2, _⟩ := (hcaps _ h2).elim
    exact capsBy_addCap hcaps (certHasBy_move (hcaps _ h3)
      (fun m3 => hc.reply m1 (s1 _ hs) (hg.imp (s1 _) (s1 _)) m2 (s2 _ hr) (s2 _ hgr) m3))
  | copyOut h1 hctl h2 =>
    obtain ⟨rs1, b1, m1, s1, _⟩ := (hcaps _ h1).elim
    exact capsBy_addCap hcaps (certHasBy_move (hcaps _ h2)
      (fun m2 => hc.copyOut m1 (s1 _ hctl) m2))
  | copyIn h1 hctl h2 =>
    obtain ⟨rs1, b1, m1, s1, _⟩ := (hcaps _ h1).elim
    exact capsBy_addCap hcaps (certHasBy_move (hcaps _ h2)
      (fun m2 => hc.copyIn m1 (s1 _ hctl) m2))
  | tcbCNode h1 hctl =>
    obtain ⟨rs1, b1, m1, s1, _⟩ := (hcaps _ h1).elim
    exact capsBy_addCap hcaps (certHasBy_of_mem (hc.tcbCNode m1 (s1 _ hctl)) hR.zero)
  | tcbVSpace h1 hctl =>
    obtain ⟨rs1, b1, m1, s1, _⟩ := (hcaps _ h1).elim
    exact capsBy_addCap hcaps (certHasBy_of_mem (hc.tcbVSpace m1 (s1 _ hctl)) hR.zero)
  | vspaceFrames h1 hctl =>
    obtain ⟨rs1, b1, m1, s1, _⟩ := (hcaps _ h1).elim
    exact capsBy_addCap hcaps (certHasBy_of_mem (hc.vspaceFrames m1 (s1 _ hctl)) hR.zero)
  | untypedCover h1 hctl hut =>
    obtain ⟨rs1, b1, m1, s1, _⟩ := (hcaps _ h1).elim
    exact capsBy_addCap hcaps (certHasBy_of_mem (hc.untypedCover hut m1 (s1 _ hctl)) hR.zero)
  | mint h1 hm =>
    obtain ⟨rs1, b1, m1, s1, hb⟩ := (hcaps _ h1).elim
    exact capsBy_addCap hcaps (CertHasBy.intro m1 s1 (hR.mint hb hm))
  | revoke t =>
    intro x hx
    have hx' : x ∈ s.caps.filter (fun e => !decide (e.target = t)) := hx
    exact hcaps x (List.mem_filter.mp hx').1

theorem KStep.comps_eq {s' : State} (h : KStep sys s s') : s'.comps = s.comps := by
  cases h <;> rfl

theorem KStep.handles_eq {s' : State} (h : KStep sys s s') : s'.handles = s.handles := by
  cases h <;> rfl

/-- Kernel steps keep a `KernelClosed` certificate covering the state. -/
theorem covers_kstep (hc : KernelClosed sys cert) {s' : State} (hcov : Covers cert s)
    (h : KStep sys s s') : Covers cert s' := by
  constructor
  · intro c hc'
    rw [KStep.comps_eq h] at hc'
    exact hcov.comps c hc'
  · exact capsBy_kstep (badgeCovers_rel _) hc hcov.caps h
  · intro x hx
    rw [KStep.handles_eq h] at hx
    exact hcov.handles x hx

/-- Every permitted step keeps a `Closed` certificate covering the state. -/
theorem covers_step (hc : Closed sys cert) {s' : State} (hcov : Covers cert s)
    (h : Step sys s s') : Covers cert s' := by
  cases h with
  | kernel hk => exact covers_kstep hc.toKernelClosed hcov hk
  | spawn hp hr hpar => exact covers_spawn hc hcov hp hr hpar
  | connect hcl hsv hr hcs hss hb hfresh _ =>
    obtain ⟨rs, b', m, hsend⟩ := hc.connect (hcov.comps _ hcl) (hcov.comps _ hsv) hr hcs hss
    have hD : _ ∉ cert.declared := fun hn =>
      let ⟨d, hd, hdb⟩ := hc.declared hn
      hfresh d hd hdb
    exact covers_addCap hcov (CertHasBy.intro m
      (fun ρ hρ => by rw [List.mem_singleton.mp hρ]; exact hsend) (badgeCovers_connect hb hD))
  | openObj ho hconn hsend _ _ _ _ hauth =>
    obtain ⟨rs, b', m, sub, _⟩ := CertHas.elim (hcov.caps _ hconn)
    exact covers_addHandle hcov (hc.openObj ho m (sub _ hsend) hauth)
  | call _ _ _ _ _ _ => exact covers_record hcov
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

/-- **Kernel steps make up no badge.** A certificate that lists the initial state exactly and is
closed under the kernel rules accounts for every cap of every kernel-reachable state by a listed
cap with the same badge, or an unbadged one it was minted from. -/
theorem badgeBy_of_kreachable (hi : ListsInitial sys cert) (hc : KernelClosed sys cert)
    (h : KReachable sys s) : ∀ e, e ∈ s.caps → CertHasBy (BadgeBy fun _ b => b) cert e := by
  induction h with
  | init => exact fun e he => certHasBy_of_mem (hi.2.1 e he) (Or.inl rfl)
  | step _ hk ih => exact capsBy_kstep (badgeBy_rel fun _ => rfl) hc ih hk

/-- A fresh connection keeps the badges named: the new cap's badge, which no cap to the endpoint
carries, is named by the listed connection cap's badge, every other badge as before. -/
theorem badgeBy_connect {φ : Target → Nat → Nat} (h0 : ∀ t, φ t 0 = 0)
    (hcaps : ∀ e, e ∈ s.caps → CertHasBy (BadgeBy φ) cert e) {c v : Component} {b b' : Nat}
    {rs : List Right} (m : Cap.mk c.abs (.own v.abs .endpoint) rs b' ∈ cert.caps)
    (hsend : Right.send ∈ rs) (hb : b ≠ 0)
    (hnew : ∀ e, e ∈ s.caps → e.target = .own v .endpoint → e.badge ≠ b) :
    ∃ ψ : Target → Nat → Nat, (∀ t, ψ t 0 = 0) ∧
      ∀ e, e ∈ (s.addCap (Cap.mk c (.own v .endpoint) [.send] b)).caps → CertHasBy (BadgeBy ψ) cert e := by
  refine ⟨fun t n => if t = .own v .endpoint ∧ n = b then b' else φ t n, ?_, ?_⟩
  · intro t
    have hn : ¬(t = .own v .endpoint ∧ 0 = b) := fun hx => hb hx.2.symm
    show (if t = .own v .endpoint ∧ 0 = b then b' else φ t 0) = 0
    rw [if_neg hn]
    exact h0 t
  · refine capsBy_addCap (fun e he => ?_) (CertHasBy.intro m
      (fun ρ hρ => by rw [List.mem_singleton.mp hρ]; exact hsend) (Or.inl (if_pos ⟨rfl, rfl⟩).symm))
    obtain ⟨rs', b'', m', sub, hk⟩ := (hcaps e he).elim
    refine CertHasBy.intro (x := e.holder) (t := e.target) (r := e.rights) (b := e.badge) m' sub ?_
    have hn : ¬(e.target = .own v .endpoint ∧ e.badge = b) := fun hx => hnew e he hx.1 hx.2
    unfold BadgeBy at hk ⊢
    dsimp only
    rw [if_neg hn]
    exact hk

/-- **A connection's badge is its own.** A certificate that lists the initial state exactly and is
closed under every step accounts for every cap of every reachable state by a listed cap whose
badge some `φ` names for the cap's badge at its target (or an unbadged one it was minted from):
fresh connection badges are named apart from every badge in use. -/
theorem badgeBy_of_reachable (hi : ListsInitial sys cert) (hc : Closed sys cert)
    (h : Reachable sys s) :
    ∃ φ : Target → Nat → Nat, (∀ t, φ t 0 = 0) ∧ ∀ e, e ∈ s.caps → CertHasBy (BadgeBy φ) cert e := by
  induction h with
  | init => exact ⟨fun _ b => b, fun _ => rfl, fun e he => certHasBy_of_mem (hi.2.1 e he) (Or.inl rfl)⟩
  | step hr hst ih =>
    obtain ⟨φ, h0, hcaps⟩ := ih
    have hcov := covers_of_reachable hc hr
    cases hst with
    | kernel hk => exact ⟨φ, h0, capsBy_kstep (badgeBy_rel h0) hc.toKernelClosed hcaps hk⟩
    | spawn hp hrule hpar => exact ⟨φ, h0, capsBy_spawn (badgeBy_rel h0) hc hcov hcaps hp hrule hpar⟩
    | connect hcl hsv hrule hcs hss hb _ hnew =>
      obtain ⟨rs, b', m, hsend⟩ := hc.connect (hcov.comps _ hcl) (hcov.comps _ hsv) hrule hcs hss
      exact badgeBy_connect h0 hcaps m hsend hb hnew
    | openObj _ _ _ _ _ _ _ _ => exact ⟨φ, h0, hcaps⟩
    | call _ _ _ _ _ _ => exact ⟨φ, h0, hcaps⟩
    | pass _ _ _ _ _ _ => exact ⟨φ, h0, hcaps⟩
    | close g => exact ⟨φ, h0, hcaps⟩

end SMOS
