import SMOS.Checkers.Flow
import SMOS.Thm.Authority

/-!
# Soundness of the flow checkers, and P5

Mirrors `SMOS.Checkers.Flow`.
-/

namespace SMOS

variable {sys : Sys} {cert : Certificate}

theorem checkPairFlows_sound {A : List Cap} {F : List (Component × Component)}
    (h : checkPairFlows A F = true) {a b : Component} {t : Target} {r1 r2 : Right}
    {rs1 rs2 : List Right} {b1 b2 : Nat}
    (hp : (r1, r2) ∈ flowPairs) (h1 : Cap.mk a t rs1 b1 ∈ A) (hr1 : r1 ∈ rs1)
    (h2 : Cap.mk b t rs2 b2 ∈ A) (hr2 : r2 ∈ rs2) : (a, b) ∈ F :=
  mem_of_memB (imp2_true (of_all (of_all h h1) h2) (decide_eq_true rfl)
    (List.any_eq_true.mpr ⟨(r1, r2), hp, both_true (memB_of_mem hr1) (memB_of_mem hr2)⟩))

theorem ownerFlowsAt_own (F : List (Component × Component)) (a b : Component) (k : ObjKind)
    (rs : List Right) (bd : Nat) :
    ownerFlowsAt F (Cap.mk a (.own b k) rs bd) =
      ((!someRightIn rs toOwnerRights || memB (a, b) F) &&
       (!someRightIn rs fromOwnerRights || memB (b, a) F)) := rfl

theorem someRightIn_of_mem {r : Right} {rs l : List Right} (hr : r ∈ rs) (hl : r ∈ l) :
    someRightIn rs l = true :=
  List.any_eq_true.mpr ⟨r, hr, memB_of_mem hl⟩

theorem checkOwnerFlows_sound {A : List Cap} {F : List (Component × Component)}
    (h : checkOwnerFlows A F = true) {a b : Component} {k : ObjKind} {r : Right}
    {rs : List Right} {bd : Nat} (he : Cap.mk a (.own b k) rs bd ∈ A) (hr : r ∈ rs) :
    (r ∈ toOwnerRights → (a, b) ∈ F) ∧ (r ∈ fromOwnerRights → (b, a) ∈ F) := by
  have h1 := of_all h he
  rw [ownerFlowsAt_own] at h1
  exact ⟨fun ht => mem_of_memB (imp_true (and_true_left h1) (someRightIn_of_mem hr ht)),
    fun hf => mem_of_memB (imp_true (and_true_right h1) (someRightIn_of_mem hr hf))⟩

theorem checkHandleFlows_sound {H : List Handle} {F : List (Component × Component)}
    (h : checkHandleFlows H F = true) {x : Handle} (hx : x ∈ H) :
    (x.holder, x.obj.server.abs) ∈ F ∧ (x.obj.server.abs, x.holder) ∈ F :=
  ⟨mem_of_memB (and_true_left (of_all h hx)), mem_of_memB (and_true_right (of_all h hx))⟩

theorem checkTransitive_sound {F : List (Component × Component)}
    (h : checkTransitive F = true) {a b c : Component} (h1 : (a, b) ∈ F) (h2 : (b, c) ∈ F) :
    (a, c) ∈ F :=
  mem_of_memB (imp_true (of_all (of_all h h1) h2) (decide_eq_true rfl))

theorem flowAllowedB_sound {p : Policy} {a b : Sid} (h : flowAllowedB p a b = true) :
    FlowAllowed p a b := by
  intro la lb ha hb
  have h1 := imp_true (of_all h ha) (decide_eq_true rfl)
  exact mem_of_memB (imp_true (of_all h1 hb) (decide_eq_true rfl))

theorem checkFlowsAllowed_sound {p : Policy} {F : List (Component × Component)}
    (h : checkFlowsAllowed p F = true) {a b : Component} (hab : (a, b) ∈ F) :
    FlowAllowed p a.sid b.sid :=
  flowAllowedB_sound (of_all h hab)

/-- `checkFlowClosed` is sound. -/
theorem flowClosed_of_check (h : checkFlowClosed sys cert = true) : FlowClosed sys cert := by
  have hpair := and_true_left h
  have howner := and_true_left (and_true_right h)
  have hhandle := and_true_left (and_true_right (and_true_right h))
  have htrans := and_true_left (and_true_right (and_true_right (and_true_right h)))
  have hallowed := and_true_right (and_true_right (and_true_right (and_true_right h)))
  exact {
    pair := fun hp h1 hr1 h2 hr2 => checkPairFlows_sound hpair hp h1 hr1 h2 hr2,
    toOwner := fun hr he hin => (checkOwnerFlows_sound howner he hin).1 hr,
    fromOwner := fun hr he hin => (checkOwnerFlows_sound howner he hin).2 hr,
    handle := fun hx => checkHandleFlows_sound hhandle hx,
    trans := fun h1 h2 => checkTransitive_sound htrans h1 h2,
    allowed := fun hab => checkFlowsAllowed_sound hallowed hab }

/-- Every one-step flow of a covered state is, abstractly, in the flow certificate. -/
theorem flow_pair_of_step {s : State} (hcov : Covers cert s) (hf : FlowClosed sys cert)
    {a b : Component} (h : FlowStep s a b) : (a.abs, b.abs) ∈ cert.flows := by
  cases h with
  | pair hp h1 hr1 h2 hr2 =>
    have ⟨_, _, m1, s1, _⟩ := (hcov.caps _ h1).elim
    have ⟨_, _, m2, s2, _⟩ := (hcov.caps _ h2).elim
    exact hf.pair hp m1 (s1 _ hr1) m2 (s2 _ hr2)
  | toOwner hr h1 hin =>
    have ⟨_, _, m1, s1, _⟩ := (hcov.caps _ h1).elim
    exact hf.toOwner hr m1 (s1 _ hin)
  | fromOwner hr h1 hin =>
    have ⟨_, _, m1, s1, _⟩ := (hcov.caps _ h1).elim
    exact hf.fromOwner hr m1 (s1 _ hin)
  | handleIn hh => exact (hf.handle (hcov.handles _ hh)).1
  | handleOut hh => exact (hf.handle (hcov.handles _ hh)).2

/-- Every flow path of a covered state is, abstractly, in the flow certificate. -/
theorem flow_pair_of_path {s : State} (hcov : Covers cert s) (hf : FlowClosed sys cert)
    {a b : Component} (h : FlowPath s a b) : (a.abs, b.abs) ∈ cert.flows := by
  induction h with
  | single hst => exact flow_pair_of_step hcov hf hst
  | cons hst _ ih => exact hf.trans (flow_pair_of_step hcov hf hst) ih

/-- A closed, allowed flow certificate makes every state it covers flow-secure. -/
theorem flow_secure_of_covers {s : State} (hcov : Covers cert s) (hf : FlowClosed sys cert) :
    FlowSecureIn sys s := by
  intro a b hab
  -- The certificate's pair is abstract; `abs` keeps the sid, so its verdict is `a`'s and `b`'s.
  exact hf.allowed (a := a.abs) (b := b.abs) (flow_pair_of_path hcov hf hab)

/-- **P5 is sound**: a certificate accepted by `checkFlowSecurity` proves that every flow path
in every state the kernel rules can reach is allowed by the flow policy. -/
theorem flow_security_of_check (sys : Sys) (cert : Certificate)
    (h : checkFlowSecurity sys cert = true) : FlowSecurity sys := by
  have hk := kernelClosed_of_check (and_true_left h)
  have hf := flowClosed_of_check (and_true_right h)
  intro s hs
  exact flow_secure_of_covers (covers_of_kreachable hk hs) hf

end SMOS
