import SMOS.Checkers.Flow

/-!
# Checker for dynamic safety (P7)

One certificate, closed under every kernel and dynamic step, on which the checks behind
P1 (but `ServersConnected`, about the initial state only), P2, P3 and P5 all pass.
-/

namespace SMOS

/-- The flow part of P7: when the policy labels nothing, flow security is about no node
(`flowSecureIn_of_unlabelled`) and nothing is checked; otherwise the flow certificate is. -/
def checkFlowPart (sys : Sys) (cert : Certificate) : Bool :=
  sys.policy.labelOf.isEmpty || checkFlowClosed sys cert

/-- The checker behind P7 (`dynamic_safety_of_check`). -/
def checkDynamicSafety (sys : Sys) (cert : Certificate) : Bool :=
  checkClosed sys cert &&
  (sys.objects.all (fun o => untamperedAt cert o) &&
   (checkCallersDistinct sys cert &&
    (checkRelied sys cert &&
     (checkConforms sys cert && (checkNoBorrow sys cert && checkFlowPart sys cert)))))

end SMOS
