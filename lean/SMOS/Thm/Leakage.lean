import SMOS.Checkers.Leakage

/-!
# Max-flow is at most any cut, and P6

For a feasible flow `f` from sources `S` to sinks `T` and a node set `C` made of the sources
and some nodes that are not sinks:

1. the net amount leaving `S` equals the net amount leaving `C` (`netOut_extend`), because
   flow is conserved at every node of `C` that is not a source; and
2. the net amount leaving `C` is at most the capacity of the arcs leaving `C`
   (`netOut_le_cutCapacity`), because every arc carries at most its capacity.

So the value of every feasible flow, in particular of a maximum one, is at most the capacity
of any such cut (`leakage_bound_of_cut`).
-/

namespace SMOS

theorem netOut_congr {P Q : Nat → Bool} (h : ∀ x, P x = Q x) (f : List FlowArc) :
    netOut P f = netOut Q f := by
  have hPQ : P = Q := funext h
  rw [hPQ]

/-- The net amount leaving `C` is at most the capacity of the arcs leaving `C`. -/
theorem netOut_le_cutCapacity (C : Nat → Bool) :
    ∀ (f : List FlowArc), (∀ a, a ∈ f → a.amount ≤ a.arc.cap) →
      netOut C f ≤ (cutCapacity C (f.map FlowArc.arc) : Int)
  | [], _ => by
    show ((0 : Nat) : Int) - ((0 : Nat) : Int) ≤ ((0 : Nat) : Int)
    omega
  | a :: as, hcap => by
    have ha : a.amount ≤ a.arc.cap := hcap a (List.mem_cons.mpr (Or.inl rfl))
    have ih := netOut_le_cutCapacity C as (fun b hb => hcap b (List.mem_cons.mpr (Or.inr hb)))
    unfold netOut outOf into at ih
    show ((pick (C a.arc.src) a.amount + total Arc.src C as : Nat) : Int) -
        ((pick (C a.arc.dst) a.amount + total Arc.dst C as : Nat) : Int) ≤
      ((crossing (C a.arc.src) (C a.arc.dst) a.arc.cap + cutCapacity C (as.map FlowArc.arc) : Nat)
        : Int)
    cases hs : C a.arc.src <;> cases hd : C a.arc.dst <;> simp only [pick, crossing] <;> omega

/-- Adding a node `v` outside `P` to `P` adds the amounts at `v`. -/
theorem total_insert (side : Arc → Nat) (P : Nat → Bool) (v : Nat) (hv : P v = false) :
    ∀ (f : List FlowArc),
      total side (fun x => P x || isNode v x) f = total side P f + total side (isNode v) f
  | [] => rfl
  | a :: as => by
    have ih := total_insert side P v hv as
    show pick (P (side a.arc) || isNode v (side a.arc)) a.amount +
        total side (fun x => P x || isNode v x) as =
      (pick (P (side a.arc)) a.amount + total side P as) +
        (pick (isNode v (side a.arc)) a.amount + total side (isNode v) as)
    rw [ih]
    cases hp : P (side a.arc) <;> cases hn : isNode v (side a.arc)
    · simp only [pick, Bool.false_or]; omega
    · simp only [pick, Bool.false_or]; omega
    · simp only [pick, Bool.true_or]; omega
    · have heq : side a.arc = v := of_decide_eq_true hn
      rw [heq, hv] at hp
      exact absurd hp (by decide)

theorem netOut_insert (P : Nat → Bool) (v : Nat) (hv : P v = false) (f : List FlowArc) :
    netOut (fun x => P x || isNode v x) f =
      netOut P f + ((outOf (isNode v) f : Int) - (into (isNode v) f : Int)) := by
  unfold netOut outOf into
  rw [total_insert Arc.src P v hv f, total_insert Arc.dst P v hv f]
  omega

/-- Extending the sources by nodes that are not sinks leaves the net outflow unchanged. -/
theorem netOut_extend (S T : Nat → Bool) (f : List FlowArc)
    (hcons : ∀ v, S v = false → T v = false → outOf (isNode v) f = into (isNode v) f) :
    ∀ (L : List Nat), (∀ v, v ∈ L → T v = false) → netOut (cutSide S L) f = netOut S f
  | [], _ => by
    apply netOut_congr
    intro x
    show (S x || memB x []) = S x
    cases hs : S x <;> rfl
  | w :: L, hT => by
    have ih := netOut_extend S T f hcons L (fun v hv => hT v (List.mem_cons.mpr (Or.inr hv)))
    cases hw : cutSide S L w with
    | true =>
      have hpt : ∀ x, cutSide S (w :: L) x = cutSide S L x := by
        intro x
        show (S x || (decide (x = w) || memB x L)) = (S x || memB x L)
        cases hxw : decide (x = w) with
        | false => rfl
        | true =>
          have hx : x = w := of_decide_eq_true hxw
          have hw' : (S w || memB w L) = true := hw
          rw [hx, hw']
          cases hs : S w <;> rfl
      rw [netOut_congr hpt f]
      exact ih
    | false =>
      have hw' : (S w || memB w L) = false := hw
      have hSw : S w = false := by
        cases hs : S w with
        | false => rfl
        | true =>
          rw [hs] at hw'
          simp at hw'
      have hpt : ∀ x, cutSide S (w :: L) x = (fun y => cutSide S L y || isNode w y) x := by
        intro x
        show (S x || (decide (x = w) || memB x L)) = ((S x || memB x L) || decide (x = w))
        cases h1 : S x <;> cases h2 : decide (x = w) <;> cases h3 : memB x L <;> rfl
      rw [netOut_congr hpt f, netOut_insert (cutSide S L) w hw f]
      have hc := hcons w hSw (hT w (List.mem_cons.mpr (Or.inl rfl)))
      omega

/-- **Max-flow ≤ cut.** A cut accepted by `checkCut` bounds the value of every feasible flow
from `S` to `T` by `k`. -/
theorem leakage_bound_of_cut {net : List Arc} {S T : Nat → Bool} {k : Nat} {cut : List Nat}
    (h : checkCut net S T cut k = true) : LeakageBound net S T k := by
  intro f hf
  have hcut : ∀ v, v ∈ cut → T v = false :=
    fun _ hv => false_of_not_true (of_all (and_true_left h) hv)
  have hcap : cutCapacity (cutSide S cut) net ≤ k := of_decide_eq_true (and_true_right h)
  have h1 := netOut_extend S T f hf.conservation cut hcut
  have h2 := netOut_le_cutCapacity (cutSide S cut) f hf.capacity
  rw [hf.arcs] at h2
  omega

/-- **P6 is sound**: every budget with a cut accepted by `checkLeakageBounded` holds. -/
theorem leakage_bounded_of_check (p : Policy) (n : LeakNet) (cuts : List (Budget × List Nat))
    (h : checkLeakageBounded p n cuts = true) : LeakageBounded p n := by
  intro b hb
  have ⟨_, _, hbc⟩ := List.any_eq_true.mp (of_all h hb)
  exact leakage_bound_of_cut (and_true_right hbc)

/-- `checkCut` is complete: a cut that avoids the sinks and whose capacity is within `k` is
accepted (so `checkCut` decides exactly that). -/
theorem checkCut_complete {net : List Arc} {S T : Nat → Bool} {cut : List Nat} {k : Nat}
    (hT : ∀ v, v ∈ cut → T v = false) (hcap : cutCapacity (cutSide S cut) net ≤ k) :
    checkCut net S T cut k = true := by
  unfold checkCut
  exact both_true (List.all_eq_true.mpr fun v hv => not_of_false (hT v hv)) (decide_eq_true hcap)

end SMOS
