import SMOS.Properties

/-!
# Checkers for decision correctness and policy sanity (P4)
-/

namespace SMOS

/-- Decides `DecisionCorrect`: each entry of the decision table permits exactly when `allow`
holds its request. -/
def checkDecisions (sys : Sys) : Bool :=
  sys.decisions.all fun d => decide (d.permit = memB d.req sys.policy.allow)

/-- Decides `PolicySane`: no allowed permission is also `neverallow`ed. -/
def checkPolicySane (p : Policy) : Bool :=
  p.allow.all (fun t => !memB t p.neverallow) &&
  p.kernelAllow.all (fun t => !memB t p.kernelNeverallow)

/-- The checker behind P4 (`policy_correct_of_check`). -/
def checkPolicyCorrect (sys : Sys) : Bool :=
  checkDecisions sys && checkPolicySane sys.policy

end SMOS
