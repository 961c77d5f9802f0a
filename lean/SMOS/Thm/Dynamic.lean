import SMOS.Checkers.Dynamic
import SMOS.Thm.Flow

/-!
# Soundness of the dynamic-safety checker (P7)
-/

namespace SMOS

/-- A policy that labels nothing makes every state flow-secure: no node has a label a fact could
be refused at. -/
theorem flowSecureIn_of_unlabelled {sys : Sys} {H : Component → Prop} {s : State}
    (h : sys.policy.labelOf = []) : FlowSecureIn sys H s := by
  intro _ _ v _ lb hlb
  unfold labelsOf at hlb
  rw [h] at hlb
  split at hlb <;> simp at hlb

/-- **P7 is sound**: a certificate accepted by `checkDynamicSafety` is closed under every
kernel and dynamic step, so every reachable state (with any number of spawned components) is
mediated, keeps the object servers untampered (nobody else holds their private objects or
receives on their endpoints) and able to tell apart the callers the policy treats differently,
keeps every component the verdict relies on (policy servers, trusted components) untampered,
conforms to the policy, lets no caller borrow an identity that opens more, and is flow-secure. -/
theorem dynamic_safety_of_check (sys : Sys) (cert : Certificate)
    (h : checkDynamicSafety sys cert = true) : DynamicSafety sys := by
  have hc := closed_of_check (and_true_left h)
  have hi := listsInitial_of_check (and_true_left (and_true_left (and_true_left h)))
  have hobjs := and_true_left (and_true_right h)
  have h1 := and_true_right (and_true_right h)
  have hdist := checkCallersDistinct_sound (and_true_left h1)
  have h2 := and_true_right h1
  have hrel := and_true_left h2
  have hconf := checkConforms_sound (and_true_left (and_true_right h2))
  have hrest := and_true_right (and_true_right h2)
  have hborrow := checkNoBorrow_sound (and_true_left hrest)
  have hflow := true_of_or (and_true_right hrest)
  intro s hs
  have hcov := covers_of_reachable hc hs
  have ⟨φ, _, hcaps⟩ := badgeBy_of_reachable hi hc hs
  unfold SecureIn
  refine ⟨mediated_of_reachable hs, ?_, callersDistinct_of_caps hcaps hdist, relied_of_check hrel hcov,
    conforms_of_covers hcov hconf, noBorrow_of_covers hcov hborrow, ?_⟩
  · intro o ho
    have ⟨hns', hu'⟩ := checkUntampered_sound (of_all hobjs ho)
    exact untampered_of_covers hcov hns' hu'
  · rcases hflow with hnone | hflow
    · exact flowSecureIn_of_unlabelled (List.isEmpty_iff.mp hnone)
    · have hf := flowClosed_of_check hflow
      exact flow_secure_of_covers hcov hf (honoured_of_check (fun _ hs' => covers_of_reachable hc hs') hf)

end SMOS
