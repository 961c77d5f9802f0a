import SMOS.Checkers.Flow

/-!
# Checker for dynamic safety (P7)

One certificate, closed under every kernel and dynamic step, on which the checks behind
P1 (but `ServersConnected`, about the initial state only), P2, P3 and P5 all pass.
-/

namespace SMOS

/-- The checker behind P7 (`dynamic_safety_of_check`). -/
def checkDynamicSafety (sys : Sys) (cert : Certificate) : Bool :=
  checkClosed sys cert &&
  (sys.objects.all (fun o => checkUntampered cert o.server) &&
   (checkCallersDistinct sys cert &&
    (checkRelied sys cert &&
     (checkConforms sys cert && (checkNoBorrow sys cert && checkFlowClosed sys cert)))))

end SMOS
