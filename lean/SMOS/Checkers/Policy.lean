import SMOS.Properties

/-!
# Checker for policy sanity (P4)
-/

namespace SMOS

/-- Decides `PolicySane`: no allowed permission is also `neverallow`ed. -/
def checkPolicySane (p : Policy) : Bool :=
  p.allow.all (fun t => !memB t p.neverallow) &&
  p.kernelAllow.all (fun t => !memB t p.kernelNeverallow)

end SMOS
