import SMOS.Properties

/-!
# Checkers for decision correctness and policy sanity (P4)
-/

namespace SMOS

/-- Decides `DecisionCorrect`: each entry of the decision table permits exactly when `allow`
holds its request. -/
def checkDecisions (sys : Sys) : Bool :=
  sys.decisions.all fun d => decide (d.permit = sys.policy.allows d.req)

/-- Decides `PolicySane`: no `neverallow`ed permission is allowed (each `neverallow` entry is
one bit looked up in `allow` or `kernelAllow`). -/
def checkPolicySane (p : Policy) : Bool :=
  p.neverallow.all (fun t => !p.allows t) &&
  p.kernelNeverallow.all (fun t => !p.kernelAllows t)

/-- The checker behind P4 (`policy_correct_of_check`). -/
def checkPolicyCorrect (sys : Sys) : Bool :=
  checkDecisions sys && checkPolicySane sys.policy

end SMOS
