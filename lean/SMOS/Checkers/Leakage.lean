import SMOS.Properties

/-!
# Checker for the leakage bound (P6)

The certificate for one budget is a cut: the list of extra nodes that, together with the
sources, form the source side. The checker asks that no extra node is a sink and that the
arcs leaving the source side have total capacity within the budget.
-/

namespace SMOS

/-- The source side of the cut: the sources and the listed extra nodes. -/
def cutSide (S : Nat → Bool) (cut : List Nat) (x : Nat) : Bool := S x || memB x cut

/-- Decides that `cut` is a cut of capacity at most `k` between `S` and `T`. -/
def checkCut (net : List Arc) (S T : Nat → Bool) (cut : List Nat) (k : Nat) : Bool :=
  cut.all (fun v => !T v) && decide (cutCapacity (cutSide S cut) net ≤ k)

/-- Every budget of `p` has a certified cut in `cuts` (the checker behind P6). -/
def checkLeakageBounded (p : Policy) (n : LeakNet) (cuts : List (Budget × List Nat)) : Bool :=
  p.budgets.all fun b => cuts.any fun bc =>
    decide (bc.1 = b) &&
    checkCut n.arcs (n.labelled b.source) (n.labelled b.sink) bc.2 b.bits

end SMOS
