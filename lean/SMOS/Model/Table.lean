import SMOS.Util
import SMOS.Model.Basic

/-!
# Permission tables

A policy's permissions are written grouped, as its rules state them: subject sid, then object
sid, then class (or kernel object kind), then the operations (or rights) allowed. The flat list
`entries` is what the properties read; the checkers ask `ops`, which walks only the groups on
the way to one subject and object, so a question costs a few hundred kernel steps however large
the policy is (a flat `memB` scan of a generated policy's 14,881 `kernelAllow` entries per cap
right was the wall of P3 on generated systems).

A sid, object or class may head more than one group (the emitter writes a component's authority
over its own objects as groups of their own); `ops` gathers them all.
-/

namespace SMOS

/-- Permissions grouped by subject sid, object sid and class (or kind `κ`): each innermost list
holds the operations (or rights `ρ`) allowed. -/
abbrev Table (κ ρ : Type) := List (Sid × List (Sid × List (κ × List ρ)))

namespace Table

variable {κ ρ α : Type}

/-- The table's permissions one by one, each built by `mk subject object class op`. -/
def entries (mk : Sid → Sid → κ → ρ → α) (g : Table κ ρ) : List α :=
  g.flatMap fun a => a.2.flatMap fun b => b.2.flatMap fun c => c.2.map (mk a.1 b.1 c.1)

/-- The operations the table allows subject `s` on objects of sid `t` and class `k`. -/
def ops [DecidableEq κ] (g : Table κ ρ) (s t : Sid) (k : κ) : List ρ :=
  g.flatMap fun a => if a.1 = s then a.2.flatMap fun b => if b.1 = t then
    b.2.flatMap fun c => if c.1 = k then c.2 else [] else [] else []

theorem mem_ops [DecidableEq κ] {g : Table κ ρ} {s t : Sid} {k : κ} {r : ρ} :
    r ∈ g.ops s t k ↔ ∃ a ∈ g, a.1 = s ∧ ∃ b ∈ a.2, b.1 = t ∧ ∃ c ∈ b.2, c.1 = k ∧ r ∈ c.2 := by
  simp only [ops, List.mem_flatMap]
  constructor
  · rintro ⟨a, ha, h⟩
    split at h
    · obtain ⟨b, hb, h⟩ := List.mem_flatMap.mp h
      split at h
      · obtain ⟨c, hc, h⟩ := List.mem_flatMap.mp h
        split at h
        · exact ⟨a, ha, by assumption, b, hb, by assumption, c, hc, by assumption, h⟩
        · exact absurd h List.not_mem_nil
      · exact absurd h List.not_mem_nil
    · exact absurd h List.not_mem_nil
  · rintro ⟨a, ha, rfl, b, hb, rfl, c, hc, rfl, hr⟩
    refine ⟨a, ha, ?_⟩
    rw [if_pos rfl]
    refine List.mem_flatMap.mpr ⟨b, hb, ?_⟩
    rw [if_pos rfl]
    exact List.mem_flatMap.mpr ⟨c, hc, by rw [if_pos rfl]; exact hr⟩

theorem mem_entries {mk : Sid → Sid → κ → ρ → α} {g : Table κ ρ} {x : α} :
    x ∈ g.entries mk ↔ ∃ a ∈ g, ∃ b ∈ a.2, ∃ c ∈ b.2, ∃ r ∈ c.2, mk a.1 b.1 c.1 r = x := by
  simp only [entries, List.mem_flatMap, List.mem_map]

/-- With `mk` injective (a structure constructor), `r` is among the operations `ops` finds for
`s`, `t`, `k` exactly when `mk s t k r` is an entry: asking `ops` is asking `entries`. -/
theorem mem_ops_iff [DecidableEq κ] {mk : Sid → Sid → κ → ρ → α}
    (inj : ∀ {s t k r s' t' k' r'}, mk s t k r = mk s' t' k' r' → s = s' ∧ t = t' ∧ k = k' ∧ r = r')
    {g : Table κ ρ} {s t : Sid} {k : κ} {r : ρ} :
    r ∈ g.ops s t k ↔ mk s t k r ∈ g.entries mk := by
  rw [mem_ops, mem_entries]
  constructor
  · rintro ⟨a, ha, rfl, b, hb, rfl, c, hc, rfl, hr⟩
    exact ⟨a, ha, b, hb, c, hc, r, hr, rfl⟩
  · rintro ⟨a, ha, b, hb, c, hc, r', hr, he⟩
    obtain ⟨h1, h2, h3, h4⟩ := inj he
    subst h1 h2 h3 h4
    exact ⟨a, ha, rfl, b, hb, rfl, c, hc, rfl, hr⟩

end Table

end SMOS
