import SMOS.Util
import SMOS.Model.Basic

/-!
# Channel networks and flows (for the leakage bound, P6)

A leakage network is a list of arcs between numbered nodes, each with a capacity in bits per
epoch. A flow puts an amount on every arc (`FlowArc`); it is *feasible* for sources `S` and
sinks `T` when it uses exactly the network's arcs, respects every capacity, and is conserved
(inflow = outflow) at every node that is neither a source nor a sink. Its value is the net
amount leaving the source set. This is the textbook definition of a multi-source,
multi-sink flow; parallel arcs are allowed.
-/

namespace SMOS

structure Arc where
  src : Nat
  dst : Nat
  cap : Nat
  deriving DecidableEq, Repr

/-- An arc of the network together with the amount a flow sends along it. -/
structure FlowArc where
  arc : Arc
  amount : Nat
  deriving Repr

/-- `n` when the condition holds, else `0`. -/
def pick : Bool → Nat → Nat
  | true, n => n
  | false, _ => 0

/-- The total amount on arcs whose chosen end (`Arc.src` or `Arc.dst`) satisfies `P`. -/
def total (side : Arc → Nat) (P : Nat → Bool) : List FlowArc → Nat
  | [] => 0
  | a :: as => pick (P (side a.arc)) a.amount + total side P as

/-- The amount leaving nodes in `P` (arcs inside `P` included). -/
def outOf (P : Nat → Bool) (f : List FlowArc) : Nat := total Arc.src P f

/-- The amount entering nodes in `P` (arcs inside `P` included). -/
def into (P : Nat → Bool) (f : List FlowArc) : Nat := total Arc.dst P f

/-- The net amount leaving the node set `P`; for the source set this is the flow's value. -/
def netOut (P : Nat → Bool) (f : List FlowArc) : Int := (outOf P f : Int) - (into P f : Int)

/-- The predicate of a single node. -/
def isNode (v x : Nat) : Bool := decide (x = v)

/-- `n` for an arc from inside a cut to outside it, else `0`. -/
def crossing : Bool → Bool → Nat → Nat
  | true, false, n => n
  | true, true, _ => 0
  | false, _, _ => 0

/-- The capacity of the cut whose source side is `C`: the arcs leaving `C`. -/
def cutCapacity (C : Nat → Bool) : List Arc → Nat
  | [] => 0
  | a :: as => crossing (C a.src) (C a.dst) a.cap + cutCapacity C as

/-- `f` is a feasible flow on `net` from the sources `S` to the sinks `T`. -/
structure IsFlow (net : List Arc) (S T : Nat → Bool) (f : List FlowArc) : Prop where
  arcs : f.map FlowArc.arc = net
  capacity : ∀ a, a ∈ f → a.amount ≤ a.arc.cap
  conservation : ∀ v, S v = false → T v = false → outOf (isNode v) f = into (isNode v) f

/-- A leakage network: arcs, and the label of each node. -/
structure LeakNet where
  arcs : List Arc
  labels : List (Nat × Label)

/-- The nodes of `n` carrying label `l`. -/
def LeakNet.labelled (n : LeakNet) (l : Label) (v : Nat) : Bool := memB (v, l) n.labels

end SMOS
