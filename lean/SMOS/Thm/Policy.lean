import SMOS.Checkers.Policy

/-!
# Soundness of the policy checkers, and P4
-/

namespace SMOS

/-- `checkDecisions` is sound: an accepted decision table permits exactly what `allow` holds. -/
theorem checkDecisions_sound {sys : Sys} (h : checkDecisions sys = true) : DecisionCorrect sys := by
  intro d hd
  have heq : d.permit = memB d.req sys.policy.allow := of_decide_eq_true (of_all h hd)
  exact ⟨fun hp => mem_of_memB (heq.symm.trans hp), fun hm => heq.trans (memB_of_mem hm)⟩

/-- With a correct decision table, every request the policy server permits is in the policy
(with `mediated_of_reachable`: every operation ever performed is). -/
theorem permitted_of_decisions {sys : Sys} (hd : DecisionCorrect sys) {q : Perm}
    (h : smosAuth sys.decisions q = true) : q ∈ sys.policy.allow :=
  (hd _ (mem_of_memB h)).mp rfl

theorem not_mem_of_all_not_memB {α : Type} [DecidableEq α] {l n : List α}
    (h : l.all (fun t => !memB t n) = true) : ∀ t, t ∈ l → t ∉ n := by
  intro t ht hn
  have h2 := false_of_not_true (of_all h ht)
  rw [memB_of_mem hn] at h2
  exact absurd h2 (by decide)

/-- `checkPolicySane` is sound: an accepted policy allows nothing it `neverallow`s. -/
theorem checkPolicySane_sound {p : Policy} (h : checkPolicySane p = true) : PolicySane p := by
  unfold PolicySane
  exact ⟨not_mem_of_all_not_memB (and_true_left h), not_mem_of_all_not_memB (and_true_right h)⟩

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
  cases hp : d.permit <;> cases hm : memB d.req sys.policy.allow
  · rfl
  · exact absurd ((h d hd).mpr (mem_of_memB hm)) (by rw [hp]; decide)
  · exact absurd (memB_of_mem ((h d hd).mp hp)) (by rw [hm]; decide)
  · rfl

/-- An `all` of `!memB` holds when no element is a member. -/
theorem all_not_memB_of {α : Type} [DecidableEq α] {l n : List α} (h : ∀ t, t ∈ l → t ∉ n) :
    l.all (fun t => !memB t n) = true :=
  List.all_eq_true.mpr fun t ht => by
    show (!memB t n) = true
    cases hm : memB t n
    · rfl
    · exact absurd (mem_of_memB hm) (h t ht)

/-- `checkPolicySane` is complete: a policy that allows nothing it `neverallow`s is accepted. -/
theorem checkPolicySane_complete {p : Policy} (h : PolicySane p) : checkPolicySane p = true := by
  unfold PolicySane at h
  unfold checkPolicySane
  exact both_true (all_not_memB_of h.1) (all_not_memB_of h.2)

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
