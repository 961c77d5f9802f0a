/-!
# Boolean helpers shared by the checkers and their soundness proofs

The checkers are `Bool` functions built from `List.all`, `List.any`, `&&`, `||`, `!` and
`decide`. The lemmas here turn a checker result `= true` back into the `Prop` it stands for.
Each is proved by case analysis on finitely many `Bool`s or by one core lemma
(`List.all_eq_true`, `List.any_eq_true`), so they do not depend on how `simp` normalises.
-/

namespace SMOS

/-- Boolean list membership by decidable equality (so its soundness needs no `LawfulBEq`). -/
def memB {α : Type} [DecidableEq α] (x : α) (l : List α) : Bool :=
  l.any (fun y => decide (x = y))

/-- `memB` is sound: a `true` answer means membership. -/
theorem mem_of_memB {α : Type} [DecidableEq α] {x : α} {l : List α}
    (h : memB x l = true) : x ∈ l := by
  have ⟨y, hy, hxy⟩ := List.any_eq_true.mp h
  have hxy' : x = y := of_decide_eq_true hxy
  rw [hxy']
  exact hy

/-- `memB` is complete: members are found. -/
theorem memB_of_mem {α : Type} [DecidableEq α] {x : α} {l : List α}
    (h : x ∈ l) : memB x l = true :=
  List.any_eq_true.mpr ⟨x, h, decide_eq_true rfl⟩

/-- Equality of numbers as the kernel computes it fastest: one `Nat.beq` step, where
`decide (a = b)` unfolds `Nat.decEq` first (the checkers' hot comparisons use it). -/
def eqB (a b : Nat) : Bool := Nat.beq a b

theorem eq_of_eqB {a b : Nat} (h : eqB a b = true) : a = b := Nat.eq_of_beq_eq_true h

theorem eqB_of {a b : Nat} (h : a = b) : eqB a b = true := h ▸ Nat.beq_refl a

/-- A `List.all` check holds at every member. -/
theorem of_all {α : Type} {p : α → Bool} {l : List α} (h : l.all p = true) {x : α}
    (hx : x ∈ l) : p x = true :=
  List.all_eq_true.mp h x hx

/-- `(a :: l).all f` from `f a` and `l.all f`: how an instance module joins checks of one element
each, every one a declaration of its own, so that the kernel's memory is spent element by element. -/
theorem all_cons_of {α : Type} {f : α → Bool} {a : α} {l : List α} (h : f a = true)
    (t : l.all f = true) : (a :: l).all f = true := by
  simp [List.all_cons, h, t]

/-- The end of a chain of `all_cons_of`. -/
theorem all_nil_of {α : Type} {f : α → Bool} : ([] : List α).all f = true := rfl

theorem and_true_left {a b : Bool} (h : (a && b) = true) : a = true := by
  cases a <;> cases b <;> simp_all

theorem and_true_right {a b : Bool} (h : (a && b) = true) : b = true := by
  cases a <;> cases b <;> simp_all

/-- `p` is a subsequence of `l`, decided in one walk: a member of `l` that is not `p`'s next is
skipped. -/
def sublistB {α : Type} [DecidableEq α] : List α → List α → Bool
  | [], _ => true
  | _ :: _, [] => false
  | a :: p, b :: l => bif decide (a = b) then sublistB p l else sublistB (a :: p) l

/-- Every member of an accepted subsequence is a member of the list. -/
theorem mem_of_sublistB {α : Type} [DecidableEq α] :
    ∀ {p l : List α}, sublistB p l = true → ∀ {x : α}, x ∈ p → x ∈ l
  | [], _, _, _, hx => absurd hx List.not_mem_nil
  | _ :: _, [], h, _, _ => absurd h (by simp [sublistB])
  | a :: p, b :: l, h, x, hx => by
    by_cases hab : a = b
    · have h' : sublistB p l = true := by simpa [sublistB, hab] using h
      rcases List.mem_cons.mp hx with rfl | hx
      · exact List.mem_cons.mpr (Or.inl hab)
      · exact List.mem_cons.mpr (Or.inr (mem_of_sublistB h' hx))
    · have h' : sublistB (a :: p) l = true := by simpa [sublistB, hab] using h
      exact List.mem_cons.mpr (Or.inr (mem_of_sublistB h' hx))

/-- `f` holds of two lists of one length, element by element (a checker walks two lists the
emitter aligned, so that nothing is searched). -/
def allPairs {α β : Type} (f : α → β → Bool) : List α → List β → Bool
  | [], [] => true
  | a :: as, b :: bs => f a b && allPairs f as bs
  | _, _ => false

/-- Every member of the first list of an accepted pair has a partner it was checked with. -/
theorem of_allPairs {α β : Type} {f : α → β → Bool} :
    ∀ {as : List α} {bs : List β}, allPairs f as bs = true → ∀ {a : α}, a ∈ as → ∃ b, b ∈ bs ∧ f a b = true
  | [], _, _, _, ha => absurd ha List.not_mem_nil
  | _ :: _, [], h, _, _ => absurd h (by simp [allPairs])
  | a :: as, b :: bs, h, x, hx => by
    rcases List.mem_cons.mp hx with rfl | hx
    · exact ⟨b, List.mem_cons.mpr (Or.inl rfl), and_true_left h⟩
    · have ⟨b', hb', hf⟩ := of_allPairs (and_true_right h) hx
      exact ⟨b', List.mem_cons.mpr (Or.inr hb'), hf⟩

/-- Every member of `xs` is a member of `ys`. -/
def subsetB {α : Type} [DecidableEq α] (xs ys : List α) : Bool :=
  xs.all fun x => memB x ys

theorem mem_of_subsetB {α : Type} [DecidableEq α] {xs ys : List α} (h : subsetB xs ys = true)
    {x : α} (hx : x ∈ xs) : x ∈ ys :=
  mem_of_memB (of_all h hx)

theorem subsetB_of {α : Type} [DecidableEq α] {xs ys : List α} (h : ∀ x, x ∈ xs → x ∈ ys) :
    subsetB xs ys = true :=
  List.all_eq_true.mpr fun x hx => memB_of_mem (h x hx)

/-- `!c || r` read as "c implies r". -/
theorem imp_true {c r : Bool} (h : (!c || r) = true) (hc : c = true) : r = true := by
  cases c <;> cases r <;> simp_all

theorem imp2_true {x y r : Bool} (h : (!(x && y) || r) = true) (hx : x = true)
    (hy : y = true) : r = true := by
  cases x <;> cases y <;> cases r <;> simp_all

theorem imp3_true {x y z r : Bool} (h : (!(x && (y && z)) || r) = true) (hx : x = true)
    (hy : y = true) (hz : z = true) : r = true := by
  cases x <;> cases y <;> cases z <;> cases r <;> simp_all

/-- One of two members found makes the `||` of their `memB`s true. -/
theorem or_memB {α : Type} [DecidableEq α] {y z : α} {l : List α} (h : y ∈ l ∨ z ∈ l) :
    (memB y l || memB z l) = true := by
  cases h with
  | inl hy => rw [memB_of_mem hy, Bool.true_or]
  | inr hz => rw [memB_of_mem hz, Bool.or_true]

/-- `||` is true when one side is. -/
theorem or_of_true {a b : Bool} (h : a = true ∨ b = true) : (a || b) = true := by
  cases h with
  | inl ha => rw [ha, Bool.true_or]
  | inr hb => rw [hb, Bool.or_true]

/-- A true `||` has a true side. -/
theorem true_of_or {a b : Bool} (h : (a || b) = true) : a = true ∨ b = true := by
  cases a <;> cases b <;> simp_all

theorem both_true {a b : Bool} (ha : a = true) (hb : b = true) : (a && b) = true := by
  rw [ha, hb]
  rfl

/-- `l.all f` from its first `n` elements and the rest: an instance module checks a long list in
chunks, each a declaration of its own, so that the kernel's memory is one chunk's. -/
theorem all_of_take_drop {α : Type} {f : α → Bool} {l : List α} (n : Nat)
    (h₁ : (l.take n).all f = true) (h₂ : (l.drop n).all f = true) : l.all f = true := by
  rw [← List.take_append_drop n l, List.all_append]
  exact both_true h₁ h₂

theorem false_of_not_true {b : Bool} (h : (!b) = true) : b = false := by
  cases b <;> simp_all

/-- `!c || r` holds when `c` implies `r` (the converse of `imp_true`). -/
theorem imp_intro {c r : Bool} (h : c = true → r = true) : (!c || r) = true := by
  cases c <;> simp_all

/-- `!b` holds when `b` is false. -/
theorem not_of_false {b : Bool} (h : b = false) : (!b) = true := by
  cases b <;> simp_all

/-- A `true` `||` of two `memB`s finds one of the two. -/
theorem mem_or_of_memB {α : Type} [DecidableEq α] {y z : α} {l : List α}
    (h : (memB y l || memB z l) = true) : y ∈ l ∨ z ∈ l := by
  cases hy : memB y l with
  | true => exact Or.inl (mem_of_memB hy)
  | false =>
    rw [hy, Bool.false_or] at h
    exact Or.inr (mem_of_memB h)

/-- Every member of `xs` is a member of `ys`, decided in one walk when `xs` is a subsequence of
`ys` (lists kept in one order, as the emitter keeps every holder's caps), and by search otherwise
(so that it is still complete). Searching made a holder of 500 caps cost 250,000 comparisons, and
ran the kernel out of memory at 1,000 components. -/
def includedB {α : Type} [DecidableEq α] (xs ys : List α) : Bool :=
  sublistB xs ys || subsetB xs ys

theorem mem_of_includedB {α : Type} [DecidableEq α] {xs ys : List α} (h : includedB xs ys = true)
    {x : α} (hx : x ∈ xs) : x ∈ ys := by
  rcases true_of_or h with h | h
  · exact mem_of_sublistB h hx
  · exact mem_of_subsetB h hx

theorem includedB_of {α : Type} [DecidableEq α] {xs ys : List α} (h : ∀ x, x ∈ xs → x ∈ ys) :
    includedB xs ys = true :=
  or_of_true (Or.inr (subsetB_of h))

/-- The numbers strictly ascend, decided in one walk (a list the emitter sorted is checked
duplicate-free without comparing every pair). -/
def ascendingB : List Nat → Bool
  | a :: b :: l => Nat.blt a b && ascendingB (b :: l)
  | _ => true

theorem ascendingB_tail : ∀ {a : Nat} {l : List Nat}, ascendingB (a :: l) = true → ascendingB l = true
  | _, [], _ => rfl
  | _, _ :: _, h => by simp only [ascendingB, Bool.and_eq_true] at h; exact h.2

theorem lt_of_ascendingB : ∀ {a : Nat} {l : List Nat}, ascendingB (a :: l) = true → ∀ {b : Nat}, b ∈ l → a < b
  | _, [], _, _, hb => absurd hb List.not_mem_nil
  | a, c :: l, h, b, hb => by
    simp only [ascendingB, Bool.and_eq_true, Nat.blt_eq] at h
    rcases List.mem_cons.mp hb with rfl | hb
    · exact h.1
    · exact Nat.lt_trans h.1 (lt_of_ascendingB h.2 hb)

/-- Members whose keys ascend are told apart by their keys. -/
theorem eq_of_ascendingB {α : Type} {key : α → Nat} :
    ∀ {l : List α}, ascendingB (l.map key) = true → ∀ {x y : α}, x ∈ l → y ∈ l → key x = key y → x = y
  | [], _, _, _, hx, _, _ => absurd hx List.not_mem_nil
  | a :: l, h, x, y, hx, hy, he => by
    have hlt : ∀ {z : α}, z ∈ l → key a < key z := fun hz => lt_of_ascendingB h (List.mem_map_of_mem hz)
    rcases List.mem_cons.mp hx with hxa | hxl <;> rcases List.mem_cons.mp hy with hya | hyl
    · exact hxa.trans hya.symm
    · exact absurd (hxa ▸ he) (Nat.ne_of_lt (hlt hyl))
    · exact absurd (hya ▸ he).symm (Nat.ne_of_lt (hlt hxl))
    · exact eq_of_ascendingB (ascendingB_tail h) hxl hyl he

/-- A pair check that passes passes a weaker one. -/
theorem allPairs_mono {α β : Type} {f f' : α → β → Bool} (hf : ∀ a b, f a b = true → f' a b = true) :
    ∀ {as : List α} {bs : List β}, allPairs f as bs = true → allPairs f' as bs = true
  | [], [], _ => rfl
  | [], _ :: _, h => by simp [allPairs] at h
  | _ :: _, [], h => by simp [allPairs] at h
  | a :: _, b :: _, h => both_true (hf a b (and_true_left h)) (allPairs_mono hf (and_true_right h))

/-- `allPairs` from the first `n` members of both lists and the rest (an instance module checks a
pair check in chunks of holder groups). -/
theorem allPairs_of_take_drop {α β : Type} {f : α → β → Bool} :
    ∀ (n : Nat) {as : List α} {bs : List β}, allPairs f (as.take n) (bs.take n) = true →
      allPairs f (as.drop n) (bs.drop n) = true → allPairs f as bs = true
  | 0, _, _, _, h => by simpa using h
  | _ + 1, [], [], _, _ => rfl
  | _ + 1, [], _ :: _, h, _ => by simp [allPairs] at h
  | _ + 1, _ :: _, [], h, _ => by simp [allPairs] at h
  | n + 1, _ :: _, _ :: _, h₁, h₂ => by
    simp only [List.take_succ_cons, List.drop_succ_cons] at h₁ h₂
    exact both_true (and_true_left h₁) (allPairs_of_take_drop n (and_true_right h₁) h₂)

/-- A binary tree keyed by numbers: an index the emitter builds balanced, so the kernel finds an
entry in a few steps where a list takes a walk. A lookup is a function of the tree and the key, so
two lookups of one key find the same entry whatever the tree's shape: no soundness proof relies on
the keys' order. -/
inductive KTree (α : Type) where
  | leaf : KTree α
  | node : KTree α → Nat → α → KTree α → KTree α
  deriving Repr

/-- The entry of key `n`, searched for as in a search tree. -/
def KTree.find? {α : Type} : KTree α → Nat → Option α
  | .leaf, _ => none
  | .node l k v r, n => bif Nat.blt n k then l.find? n else bif Nat.blt k n then r.find? n else some v

/-- `p` holds at every entry. -/
def KTree.all {α : Type} (p : Nat → α → Bool) : KTree α → Bool
  | .leaf => true
  | .node l k v r => p k v && (KTree.all p l && KTree.all p r)

/-- The list of key `n`, empty when the tree has none. -/
def KTree.listAt {α : Type} (t : KTree (List α)) (n : Nat) : List α := (t.find? n).getD []

/-- What `find?` finds is an entry of the tree, under the key looked for. -/
theorem KTree.all_find? {α : Type} {p : Nat → α → Bool} :
    ∀ {t : KTree α} {n : Nat} {v : α}, KTree.all p t = true → t.find? n = some v → p n v = true
  | .leaf, _, _, _, hf => nomatch hf
  | .node l k w r, n, v, h, hf => by
    simp only [KTree.all, Bool.and_eq_true] at h
    simp only [KTree.find?] at hf
    cases h1 : Nat.blt n k with
    | true =>
      rw [h1] at hf
      exact KTree.all_find? h.2.1 hf
    | false =>
      cases h2 : Nat.blt k n with
      | true =>
        rw [h1, h2] at hf
        exact KTree.all_find? h.2.2 hf
      | false =>
        rw [h1, h2] at hf
        have hn : n = k := Nat.le_antisymm (Nat.not_lt.mp (fun hl => by rw [Nat.blt_eq.mpr hl] at h2; cases h2))
          (Nat.not_lt.mp (fun hl => by rw [Nat.blt_eq.mpr hl] at h1; cases h1))
        cases hf
        rw [hn]
        exact h.1

/-- A member of the list of key `n` is a member of the entry of key `n`. -/
theorem KTree.mem_listAt {α : Type} {t : KTree (List α)} {n : Nat} {x : α}
    (hx : x ∈ t.listAt n) : ∃ l, t.find? n = some l ∧ x ∈ l := by
  unfold KTree.listAt at hx
  cases hf : t.find? n with
  | none => rw [hf] at hx; exact absurd hx List.not_mem_nil
  | some l => rw [hf] at hx; exact ⟨l, rfl, hx⟩

end SMOS
