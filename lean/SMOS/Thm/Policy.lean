import SMOS.Checkers.Policy

/-!
# Soundness of the policy checkers, and P4
-/

namespace SMOS

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

theorem checkPolicySane_sound {p : Policy} (h : checkPolicySane p = true) : PolicySane p := by
  unfold PolicySane
  exact ⟨not_mem_of_all_not_memB (and_true_left h), not_mem_of_all_not_memB (and_true_right h)⟩

/-- **P4 is sound**: a system accepted by `checkPolicyCorrect` has a decision table that is the
policy's (a wrong entry is rejected) and a policy that violates no `neverallow`. -/
theorem policy_correct_of_check (sys : Sys) (h : checkPolicyCorrect sys = true) :
    PolicyCorrect sys :=
  ⟨checkDecisions_sound (and_true_left h), checkPolicySane_sound (and_true_right h)⟩

end SMOS
