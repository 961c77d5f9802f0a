import SMOS.Checkers.Policy

/-!
# Soundness of the policy checker, and P4
-/

namespace SMOS

/-- The policy server's decision is exactly membership in the expanded policy. -/
theorem decision_correct (p : Policy) : DecisionCorrect p :=
  fun _ _ _ _ => ⟨mem_of_memB, memB_of_mem⟩

theorem not_mem_of_all_not_memB {α : Type} [DecidableEq α] {l n : List α}
    (h : l.all (fun t => !memB t n) = true) : ∀ t, t ∈ l → t ∉ n := by
  intro t ht hn
  have h2 := false_of_not_true (of_all h ht)
  rw [memB_of_mem hn] at h2
  exact absurd h2 (by decide)

theorem checkPolicySane_sound {p : Policy} (h : checkPolicySane p = true) : PolicySane p := by
  unfold PolicySane
  exact ⟨not_mem_of_all_not_memB (and_true_left h), not_mem_of_all_not_memB (and_true_right h)⟩

/-- **P4 is sound**: decisions are the policy's, and a policy accepted by `checkPolicySane`
violates no `neverallow`. -/
theorem policy_correct_of_check (p : Policy) (h : checkPolicySane p = true) :
    PolicyCorrect p := by
  unfold PolicyCorrect
  exact ⟨decision_correct p, checkPolicySane_sound h⟩

end SMOS
