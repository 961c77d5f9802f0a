import SMOS.Checkers.Authority

/-!
# Checkers for the flow certificate (P5)

They decide the conditions of `FlowClosed` on concrete data; `SMOS.Thm.Flow` proves them
sound. The transitivity check is cubic in the number of flow pairs, which stays small because
the pairs are between abstract components.
-/

namespace SMOS

/-- Some right of `rs1` and some right of `rs2` form a pair of `flowPairs`. -/
def pairRelated (rs1 rs2 : List Right) : Bool :=
  flowPairs.any fun p => memB p.1 rs1 && memB p.2 rs2

/-- `FlowClosed.pair`: two caps on one target with rights in `flowPairs`. -/
def checkPairFlows (A : List Cap) (F : List (Component × Component)) : Bool :=
  A.all fun e1 => A.all fun e2 =>
    !(decide (e1.target = e2.target) && pairRelated e1.rights e2.rights) ||
    memB (e1.holder, e2.holder) F

/-- Some right of `rs` is in `l`. -/
def someRightIn (rs l : List Right) : Bool :=
  rs.any fun r => memB r l

/-- `FlowClosed.toOwner` and `FlowClosed.fromOwner` for one cap. -/
def ownerFlowsAt (F : List (Component × Component)) (e : Cap) : Bool :=
  match e.target with
  | .own b _ =>
    (!someRightIn e.rights toOwnerRights || memB (e.holder, b) F) &&
    (!someRightIn e.rights fromOwnerRights || memB (b, e.holder) F)
  | .chan _ _ _ => true

/-- `FlowClosed.toOwner` and `FlowClosed.fromOwner`. -/
def checkOwnerFlows (A : List Cap) (F : List (Component × Component)) : Bool :=
  A.all (ownerFlowsAt F)

/-- `FlowClosed.handle`. -/
def checkHandleFlows (H : List Handle) (F : List (Component × Component)) : Bool :=
  H.all fun h => memB (h.holder, h.obj.server.abs) F && memB (h.obj.server.abs, h.holder) F

/-- `FlowClosed.trans`. -/
def checkTransitive (F : List (Component × Component)) : Bool :=
  F.all fun p => F.all fun q => !decide (p.2 = q.1) || memB (p.1, q.2) F

/-- Decides `FlowAllowed p a b`. -/
def flowAllowedB (p : Policy) (a b : Sid) : Bool :=
  p.labelOf.all fun la => !decide (la.1 = a) ||
    p.labelOf.all fun lb => !decide (lb.1 = b) || memB (la.2, lb.2) p.flows

/-- `FlowClosed.allowed`. -/
def checkFlowsAllowed (p : Policy) (F : List (Component × Component)) : Bool :=
  F.all fun q => flowAllowedB p q.1.sid q.2.sid

/-- Decides `FlowClosed`. -/
def checkFlowClosed (sys : Sys) (cert : Certificate) : Bool :=
  checkPairFlows cert.caps cert.flows &&
  (checkOwnerFlows cert.caps cert.flows &&
   (checkHandleFlows cert.handles cert.flows &&
    (checkTransitive cert.flows && checkFlowsAllowed sys.policy cert.flows)))

/-- The checker behind P5 (`flow_security_of_check`). -/
def checkFlowSecurity (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert && checkFlowClosed sys cert

end SMOS
