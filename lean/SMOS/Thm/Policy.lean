import SMOS.Checkers.Policy

/-!
# Soundness of the policy checkers, and P4
-/

namespace SMOS

/-- `checkDecisions` is sound: an accepted decision table permits exactly what `allow` holds. -/
theorem checkDecisions_sound {sys : Sys} (h : checkDecisions sys = true) : DecisionCorrect sys := by
  intro d hd
  have heq : d.permit = sys.policy.allows d.req := of_decide_eq_true (of_all h hd)
  exact ⟨fun hp => Policy.allows_iff.mp (heq.symm.trans hp), fun hm => heq.trans (Policy.allows_iff.mpr hm)⟩

/-- With a correct decision table, every request the policy server permits is in the policy
(with `mediated_of_reachable`: every operation ever performed is). -/
theorem permitted_of_decisions {sys : Sys} (hd : DecisionCorrect sys) {q : Perm}
    (h : smosAuth sys.decisions q = true) : q ∈ sys.policy.allow :=
  (hd _ (mem_of_memB h)).mp rfl

/-- An `all` of `!f` over `n`, `f` deciding `P`, holds exactly when nothing satisfying `P` is in
`n`. -/
theorem all_not_iff {α : Type} {P : α → Prop} {n : List α} {f : α → Bool} (hf : ∀ t, f t = true ↔ P t) :
    n.all (fun t => !f t) = true ↔ ∀ t, P t → t ∉ n := by
  rw [List.all_eq_true]
  constructor
  · intro h t hl hn
    have h1 := h t hn
    rw [(hf t).mpr hl] at h1
    exact absurd h1 (by decide)
  · intro h t hn
    cases hft : f t
    · rfl
    · exact absurd hn (h t ((hf t).mp hft))

/-- `checkPolicySane` is sound: an accepted policy allows nothing it `neverallow`s. -/
theorem checkPolicySane_sound {p : Policy} (h : checkPolicySane p = true) : PolicySane p := by
  unfold PolicySane
  exact ⟨(all_not_iff fun _ => Policy.allows_iff).mp (and_true_left h),
    (all_not_iff fun _ => Policy.kernelAllows_iff).mp (and_true_right h)⟩

/-- **P4 is sound**: a system accepted by `checkPolicyCorrect` has a decision table that is the
policy's (a wrong entry is rejected) and a policy that violates no `neverallow`. -/
theorem policy_correct_of_check (sys : Sys) (h : checkPolicyCorrect sys = true) :
    PolicyCorrect sys :=
  ⟨checkDecisions_sound (and_true_left h), checkPolicySane_sound (and_true_right h)⟩

/-! ## Completeness: the P4 checker decides P4 -/

/-- `checkDecisions` is complete: a decision table that is the policy's is accepted. -/
theorem checkDecisions_complete {sys : Sys} (h : DecisionCorrect sys) : checkDecisions sys = true := by
  unfold checkDecisions
  refine List.all_eq_true.mpr fun d hd => decide_eq_true ?_
  cases hp : d.permit <;> cases hm : sys.policy.allows d.req
  · rfl
  · exact absurd ((h d hd).mpr (Policy.allows_iff.mp hm)) (by rw [hp]; decide)
  · exact absurd (Policy.allows_iff.mpr ((h d hd).mp hp)) (by rw [hm]; decide)
  · rfl

/-- `checkPolicySane` is complete: a policy that allows nothing it `neverallow`s is accepted. -/
theorem checkPolicySane_complete {p : Policy} (h : PolicySane p) : checkPolicySane p = true := by
  unfold PolicySane at h
  unfold checkPolicySane
  exact both_true ((all_not_iff fun _ => Policy.allows_iff).mpr h.1)
    ((all_not_iff fun _ => Policy.kernelAllows_iff).mpr h.2)

/-- **P4's checker is complete**: every system whose decision table is the policy's and whose
policy violates no `neverallow` is accepted by `checkPolicyCorrect` (with `policy_correct_of_check`,
the checker decides P4). -/
theorem checkPolicyCorrect_complete (sys : Sys) (h : PolicyCorrect sys) :
    checkPolicyCorrect sys = true := by
  unfold checkPolicyCorrect
  exact both_true (checkDecisions_complete h.1) (checkPolicySane_complete h.2)

/-- **`checkPolicyCorrect` decides P4.** -/
theorem checkPolicyCorrect_iff (sys : Sys) : checkPolicyCorrect sys = true ↔ PolicyCorrect sys :=
  ⟨policy_correct_of_check sys, checkPolicyCorrect_complete sys⟩

end SMOS
