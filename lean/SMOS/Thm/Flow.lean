import SMOS.Checkers.Flow
import SMOS.Thm.Authority

/-!
# Soundness of the flow checkers, and P5

Mirrors `SMOS.Checkers.Flow`. The argument: a flow step of a covered state is, abstracted, a
flow step of the certificate's caps and handles (`flowStep_abs`), which `ruleEdges` lists
(`ruleEdges_complete`), so its graph has the edge; the facts are closed under the graph, so
every fact of the state is, abstracted, a fact of the certificate with fewer labels
(`facts_of_carries`: a certificate trusts only components nobody can tamper with); and every
fact of the certificate is allowed where it arrives.
-/

namespace SMOS

variable {sys : Sys} {cert : Certificate}

/-! ## Small facts about the checkers' lists -/

theorem mem_app_l {α : Type} {x : α} {l1 l2 : List α} (h : x ∈ l1) : x ∈ l1 ++ l2 :=
  List.mem_append.mpr (Or.inl h)

theorem mem_app_r {α : Type} {x : α} {l1 l2 : List α} (h : x ∈ l2) : x ∈ l1 ++ l2 :=
  List.mem_append.mpr (Or.inr h)

theorem mem_ite_true {α : Type} {c : Bool} {l : List α} {x : α} (hc : c = true) (hx : x ∈ l) :
    x ∈ (if c then l else []) := by
  subst hc
  exact hx

theorem mem_toList {α : Type} {o : Option α} {a : α} (h : o = some a) : a ∈ o.toList := by
  subst h
  exact List.mem_singleton.mpr rfl

theorem decide_or {p q : Prop} [Decidable p] [Decidable q] (h : p ∨ q) :
    (decide p || decide q) = true := by
  cases h with
  | inl hp => rw [decide_eq_true hp]; rfl
  | inr hq => rw [decide_eq_true hq, Bool.or_true]

theorem apartNodeB_of {m : Node} {a : Component} (h : ∀ c, m = .comp c → Apart c a) :
    apartNodeB m a = true := by
  cases m with
  | comp c => exact apartB_of (h c rfl)
  | obj _ => rfl
  | chan _ => rfl

theorem lookup_mem {α : Type} : ∀ {l : List (Node × List α)} {v : Node} {x : α},
    x ∈ lookup l v → ∃ p, p ∈ l ∧ p.1 = v ∧ x ∈ p.2
  | [], _, _, h => by cases h
  | p :: l, v, x, h => by
    by_cases hp : p.1 = v
    · have e : lookup (p :: l) v = p.2 := if_pos hp
      rw [e] at h
      exact ⟨p, List.mem_cons.mpr (Or.inl rfl), hp, h⟩
    · have e : lookup (p :: l) v = lookup l v := if_neg hp
      rw [e] at h
      obtain ⟨q, hq, h1, h2⟩ := lookup_mem h
      exact ⟨q, List.mem_cons.mpr (Or.inr hq), h1, h2⟩

/-! ## `ruleEdges` lists every flow step of the certificate -/

/-- `sendPairs` lists every (component, target) that `Sends` in the certificate's state. -/
theorem sendPairs_complete {a : Component} {t : Target} (h : Sends cert.state a t) :
    (a, t) ∈ sendPairs cert := by
  unfold Sends at h
  unfold sendPairs
  cases h with
  | inl hc =>
    obtain ⟨rs, b, hm, hs⟩ := hc
    exact mem_app_l (List.mem_map.mpr
      ⟨Cap.mk a t rs b, List.mem_filter.mpr ⟨hm, memB_of_mem hs⟩, rfl⟩)
  | inr hh =>
    obtain ⟨x, hx, hxa, hxt⟩ := hh
    subst hxa
    subst hxt
    exact mem_app_r (List.mem_map.mpr ⟨x, hx, rfl⟩)

/-- `actingOf` lists every caller of a server with each sid it `ActsAs`. -/
theorem acting_complete {h srv : Component} {sid : Sid}
    (ha : ActsAs sys Apart cert.state h srv sid) : (h, sid) ∈ actingOf sys cert srv := by
  unfold ActsAs at ha
  obtain ⟨hap, hcase⟩ := ha
  unfold actingOf
  cases hcase with
  | inl h1 =>
    obtain ⟨hs, hsid⟩ := h1
    subst hsid
    exact mem_app_l (List.mem_map.mpr ⟨(h, .own srv .endpoint),
      List.mem_filter.mpr ⟨sendPairs_complete hs, both_true (decide_eq_true rfl) (apartB_of hap)⟩,
      rfl⟩)
  | inr h2 =>
    obtain ⟨rs, b, d, hm, hs, hd, hds, hdsid, hb⟩ := h2
    subst hdsid
    exact mem_app_r (List.mem_flatMap.mpr ⟨Cap.mk h (.own srv .endpoint) rs b,
      List.mem_filter.mpr ⟨hm, both_true (decide_eq_true rfl)
        (both_true (memB_of_mem hs) (apartB_of hap))⟩,
      List.mem_map.mpr ⟨d, List.mem_filter.mpr ⟨hd, both_true (decide_eq_true hds) (decide_or hb)⟩,
        rfl⟩⟩)

/-- Every flow step of the certificate's caps and handles is among `ruleEdges`. -/
theorem ruleEdges_complete {u v : Node} (h : FlowStep sys Apart cert.state u v) :
    (u, v) ∈ ruleEdges sys cert := by
  unfold ruleEdges
  cases h with
  | call hk hs hr hap =>
    unfold Holds at hr
    obtain ⟨rs, bd, hm, hrr⟩ := hr
    exact mem_app_l (List.mem_flatMap.mpr ⟨_, sendPairs_complete hs,
      List.mem_flatMap.mpr ⟨_, List.mem_filter.mpr ⟨List.mem_filter.mpr ⟨hm, memB_of_mem hrr⟩,
        both_true (decide_eq_true hk) (both_true (decide_eq_true rfl) (apartB_of hap))⟩,
        List.mem_cons.mpr (Or.inl rfl)⟩⟩)
  | answer hk hs hr hap =>
    unfold Holds at hr
    obtain ⟨rs, bd, hm, hrr⟩ := hr
    exact mem_app_l (List.mem_flatMap.mpr ⟨_, sendPairs_complete hs,
      List.mem_flatMap.mpr ⟨_, List.mem_filter.mpr ⟨List.mem_filter.mpr ⟨hm, memB_of_mem hrr⟩,
        both_true (decide_eq_true hk) (both_true (decide_eq_true rfl) (apartB_of hap))⟩,
        List.mem_cons.mpr (Or.inr (List.mem_cons.mpr (Or.inl rfl)))⟩⟩)
  | receiveAffects hr ha hb hap hbt =>
    unfold Holds at ha hb
    obtain ⟨ra, ba, hma, hra⟩ := ha
    obtain ⟨rb, bb, hmb, hrb⟩ := hb
    unfold Between at hbt
    rcases hbt with ⟨rfl, rfl⟩ | ⟨rfl, rfl⟩
    · exact mem_app_r (mem_app_l (List.mem_flatMap.mpr ⟨_, hma,
        List.mem_flatMap.mpr ⟨_, mem_toList hr, mem_ite_true (memB_of_mem hra) (List.mem_flatMap.mpr ⟨_,
          List.mem_filter.mpr ⟨hmb, both_true (memB_of_mem hrb) (both_true (decide_eq_true rfl) (apartB_of hap))⟩,
          List.mem_cons.mpr (Or.inl rfl)⟩)⟩⟩))
    · exact mem_app_r (mem_app_l (List.mem_flatMap.mpr ⟨_, hma,
        List.mem_flatMap.mpr ⟨_, mem_toList hr, mem_ite_true (memB_of_mem hra) (List.mem_flatMap.mpr ⟨_,
          List.mem_filter.mpr ⟨hmb, both_true (memB_of_mem hrb) (both_true (decide_eq_true rfl) (apartB_of hap))⟩,
          List.mem_cons.mpr (Or.inr (List.mem_cons.mpr (Or.inl rfl)))⟩)⟩⟩))
  | signal hk hcase =>
    rcases hcase with ⟨hh, rfl, rfl⟩ | ⟨hh, rfl, rfl⟩
    · unfold Holds at hh
      obtain ⟨rs, bd, hm, hr⟩ := hh
      exact mem_app_r (mem_app_r (mem_app_l (List.mem_flatMap.mpr ⟨_,
        List.mem_filter.mpr ⟨hm, decide_eq_true hk⟩,
        mem_app_l (mem_ite_true (memB_of_mem hr) (List.mem_cons.mpr (Or.inl rfl)))⟩)))
    · unfold Holds at hh
      obtain ⟨rs, bd, hm, hr⟩ := hh
      exact mem_app_r (mem_app_r (mem_app_l (List.mem_flatMap.mpr ⟨_,
        List.mem_filter.mpr ⟨hm, decide_eq_true hk⟩,
        mem_app_r (mem_ite_true (memB_of_mem hr) (List.mem_cons.mpr (Or.inl rfl)))⟩)))
  | memory hm hmn hap hr hdir =>
    have hc := both_true (memB_of_mem hr) (apartNodeB_of hap)
    rcases hdir with ⟨rfl, rfl⟩ | ⟨hw, rfl, rfl⟩
    · exact mem_app_r (mem_app_r (mem_app_r (mem_app_l (List.mem_flatMap.mpr ⟨_, hm,
        List.mem_flatMap.mpr ⟨_, mem_toList hmn, mem_ite_true hc
          (List.mem_cons.mpr (Or.inl rfl))⟩⟩))))
    · exact mem_app_r (mem_app_r (mem_app_r (mem_app_l (List.mem_flatMap.mpr ⟨_, hm,
        List.mem_flatMap.mpr ⟨_, mem_toList hmn, mem_ite_true hc
          (List.mem_cons.mpr (Or.inr (mem_ite_true (memB_of_mem hw)
            (List.mem_cons.mpr (Or.inl rfl)))))⟩⟩))))
  | control hc hh hap hbt =>
    unfold Holds at hh
    obtain ⟨rs, bd, hm, hr⟩ := hh
    have hcond := both_true (memB_of_mem hr) (apartB_of hap)
    unfold Between at hbt
    rcases hbt with ⟨rfl, rfl⟩ | ⟨rfl, rfl⟩
    · exact mem_app_r (mem_app_r (mem_app_r (mem_app_r (mem_app_l (List.mem_flatMap.mpr ⟨_, hm,
        List.mem_flatMap.mpr ⟨_, mem_toList hc, mem_ite_true hcond
          (List.mem_cons.mpr (Or.inl rfl))⟩⟩)))))
    · exact mem_app_r (mem_app_r (mem_app_r (mem_app_r (mem_app_l (List.mem_flatMap.mpr ⟨_, hm,
        List.mem_flatMap.mpr ⟨_, mem_toList hc, mem_ite_true hcond
          (List.mem_cons.mpr (Or.inr (List.mem_cons.mpr (Or.inl rfl))))⟩⟩)))))
  | object ho hcase =>
    apply mem_app_r; apply mem_app_r; apply mem_app_r; apply mem_app_r; apply mem_app_r
    unfold objectEdges
    rcases hcase with hb | ⟨h, sid, op, ha, hp, hd⟩
    · unfold Between at hb
      rcases hb with ⟨rfl, rfl⟩ | ⟨rfl, rfl⟩
      · exact List.mem_flatMap.mpr ⟨_, ho, List.mem_cons.mpr (Or.inl rfl)⟩
      · exact List.mem_flatMap.mpr ⟨_, ho,
          List.mem_cons.mpr (Or.inr (List.mem_cons.mpr (Or.inl rfl)))⟩
    · rcases hd with ⟨hw, rfl, rfl⟩ | ⟨hrd, rfl, rfl⟩
      · exact List.mem_flatMap.mpr ⟨_, ho, List.mem_cons.mpr (Or.inr (List.mem_cons.mpr (Or.inr
          (List.mem_flatMap.mpr ⟨_, acting_complete ha, List.mem_flatMap.mpr ⟨_,
            List.mem_filter.mpr ⟨List.mem_range.mpr (PermSet.op_lt hp), hp⟩,
            mem_app_l (mem_ite_true (memB_of_mem hw) (List.mem_cons.mpr (Or.inl rfl)))⟩⟩))))⟩
      · exact List.mem_flatMap.mpr ⟨_, ho, List.mem_cons.mpr (Or.inr (List.mem_cons.mpr (Or.inr
          (List.mem_flatMap.mpr ⟨_, acting_complete ha, List.mem_flatMap.mpr ⟨_,
            List.mem_filter.mpr ⟨List.mem_range.mpr (PermSet.op_lt hp), hp⟩,
            mem_app_r (mem_ite_true (memB_of_mem hrd) (List.mem_cons.mpr (Or.inl rfl)))⟩⟩))))⟩

/-! ## A flow step of a covered state is, abstracted, a flow step of the certificate -/

theorem holds_abs {s : State} (hcov : Covers cert s) {a : Component} {t : Target} {r : Right}
    (h : Holds s a t r) : Holds cert.state a.abs t.abs r := by
  unfold Holds at h ⊢
  obtain ⟨rs, b, hm, hr⟩ := h
  obtain ⟨rs', b', m, sub, _⟩ := (hcov.caps _ hm).elim
  exact ⟨rs', b', m, sub _ hr⟩

theorem sends_abs {s : State} (hcov : Covers cert s)
    (hsrv : ∀ h, h ∈ cert.handles → h.obj.server.spawned = false) {a : Component} {t : Target}
    (h : Sends s a t) : Sends cert.state a.abs t.abs := by
  unfold Sends at h ⊢
  cases h with
  | inl hc =>
    obtain ⟨rs, b, hm, hs⟩ := hc
    obtain ⟨rs', b', m, sub, _⟩ := (hcov.caps _ hm).elim
    exact Or.inl ⟨rs', b', m, sub _ hs⟩
  | inr hh =>
    obtain ⟨x, hx, hxa, hxt⟩ := hh
    have hmem := hcov.handles x hx
    have hns : x.obj.server.abs = x.obj.server :=
      Component.abs_of_not_spawned _ (hsrv x.abs hmem)
    refine Or.inr ⟨x.abs, hmem, ?_, ?_⟩
    · show x.holder.abs = a.abs
      rw [hxa]
    · rw [hxt]
      show Target.own x.obj.server.abs .endpoint = Target.own x.obj.server .endpoint
      rw [hns]

theorem acts_abs {s : State} (hcov : Covers cert s)
    (hsrv : ∀ h, h ∈ cert.handles → h.obj.server.spawned = false)
    (hdecl : ∀ d, d ∈ sys.clients → d.badge ∈ cert.declared)
    {h srv : Component} {sid : Sid} (hns : srv.spawned = false)
    (ha : ActsAs sys (· ≠ ·) s h srv sid) : ActsAs sys Apart cert.state h.abs srv sid := by
  have habs : srv.abs = srv := Component.abs_of_not_spawned srv hns
  have ht : (Target.own srv .endpoint).abs = .own srv .endpoint := by
    show Target.own srv.abs .endpoint = Target.own srv .endpoint
    rw [habs]
  unfold ActsAs at ha ⊢
  obtain ⟨hne, hcase⟩ := ha
  have hap : Apart h.abs srv := by
    have h1 := apart_abs hne
    rw [habs] at h1
    exact h1
  refine ⟨hap, ?_⟩
  cases hcase with
  | inl h1 =>
    obtain ⟨hs, hsid⟩ := h1
    have hs' := sends_abs hcov hsrv hs
    rw [ht] at hs'
    exact Or.inl ⟨hs', hsid⟩
  | inr h2 =>
    obtain ⟨rs, b, d, hm, hs, hd, hds, hdsid, hb⟩ := h2
    obtain ⟨rs', b', m, sub, hbc⟩ := (hcov.caps _ hm).elim
    have m' : Cap.mk h.abs (.own srv .endpoint) rs' b' ∈ cert.caps := by
      have m2 : Cap.mk h.abs (Target.own srv .endpoint).abs rs' b' ∈ cert.caps := m
      rw [ht] at m2
      exact m2
    refine Or.inr ⟨rs', b', d, m', sub _ hs, hd, hds, hdsid, ?_⟩
    unfold BadgeCovers at hbc
    cases hbc with
    | inl he => rw [he]; exact hb
    | inr hr =>
      cases hr with
      | inl h0 => exact Or.inl h0.1
      | inr h3 =>
        cases hb with
        | inl hb0 => exact absurd hb0 h3.2.1
        | inr hbd => exact (h3.2.2 (by rw [hbd]; exact hdecl d hd)).elim

theorem between_abs {x y u v : Node} (h : Between x y u v) : Between x.abs y.abs u.abs v.abs := by
  unfold Between at h ⊢
  rcases h with ⟨rfl, rfl⟩ | ⟨rfl, rfl⟩
  · exact Or.inl ⟨rfl, rfl⟩
  · exact Or.inr ⟨rfl, rfl⟩

theorem memoryNode_abs (t : Target) : memoryNode t.abs = (memoryNode t).map Node.abs := by
  cases t with
  | own x k => cases k <;> rfl
  | chan k i s => cases k <;> rfl

theorem memoryNode_abs_some {t : Target} {m : Node} (h : memoryNode t = some m) :
    memoryNode t.abs = some m.abs := by
  rw [memoryNode_abs, h]
  rfl

theorem memoryApart_abs {m : Node} {a : Component} (hap : ∀ c, m = .comp c → c ≠ a) :
    ∀ c, m.abs = .comp c → Apart c a.abs := by
  intro c hc
  cases m with
  | comp x =>
    have hx : x.abs = c := Node.comp.inj hc
    rw [← hx]
    exact apart_abs (hap x rfl)
  | obj o => cases hc
  | chan t => cases hc

theorem controlled_abs (t : Target) : controlled t.abs = (controlled t).map Component.abs := by
  cases t with
  | own x k => cases k <;> rfl
  | chan k i s => rfl

theorem controlled_abs_some {t : Target} {c : Component} (h : controlled t = some c) :
    controlled t.abs = some c.abs := by
  rw [controlled_abs, h]
  rfl

theorem Node.sid?_abs (v : Node) : v.abs.sid? = v.sid? := by
  cases v with
  | comp c => rfl
  | obj o => rfl
  | chan t => cases t <;> rfl

theorem labelsOf_abs (p : Policy) (v : Node) : labelsOf p v.abs = labelsOf p v := by
  unfold labelsOf
  rw [Node.sid?_abs]

theorem object_abs {s : State} (hcov : Covers cert s)
    (hsrv : ∀ h, h ∈ cert.handles → h.obj.server.spawned = false)
    (hdecl : ∀ d, d ∈ sys.clients → d.badge ∈ cert.declared)
    {o : SObj} {x y : Node} (hns : o.server.spawned = false)
    (hcase : Between x y (.comp o.server) (.obj o) ∨
      ∃ h sid op, ActsAs sys (· ≠ ·) s h o.server sid ∧ Perm.mk sid o.sid o.cls op ∈ sys.policy.allow ∧
        (((o.cls, op) ∈ sys.policy.writes ∧ x = .comp h ∧ y = .obj o) ∨
         ((o.cls, op) ∈ sys.policy.reads ∧ x = .obj o ∧ y = .comp h))) :
    Between x.abs y.abs (.comp o.server) (.obj o) ∨
      ∃ h sid op, ActsAs sys Apart cert.state h o.server sid ∧
        Perm.mk sid o.sid o.cls op ∈ sys.policy.allow ∧
        (((o.cls, op) ∈ sys.policy.writes ∧ x.abs = .comp h ∧ y.abs = .obj o) ∨
         ((o.cls, op) ∈ sys.policy.reads ∧ x.abs = .obj o ∧ y.abs = .comp h)) := by
  have habs : o.server.abs = o.server := Component.abs_of_not_spawned _ hns
  cases hcase with
  | inl hb =>
    have hb' := between_abs hb
    have e1 : (Node.comp o.server).abs = .comp o.server := by
      show Node.comp o.server.abs = Node.comp o.server
      rw [habs]
    rw [e1] at hb'
    exact Or.inl hb'
  | inr hr =>
    obtain ⟨h, sid, op, ha, hp, hd⟩ := hr
    refine Or.inr ⟨h.abs, sid, op, acts_abs hcov hsrv hdecl hns ha, hp, ?_⟩
    rcases hd with ⟨hw, rfl, rfl⟩ | ⟨hrd, rfl, rfl⟩
    · exact Or.inl ⟨hw, rfl, rfl⟩
    · exact Or.inr ⟨hrd, rfl, rfl⟩

/-- A flow step of a covered state is, with every node abstracted, a flow step of the
certificate's caps and handles. -/
theorem flowStep_abs {s : State} (hcov : Covers cert s)
    (hsrv : ∀ h, h ∈ cert.handles → h.obj.server.spawned = false)
    (hobj : ∀ o, o ∈ sys.objects → o.server.spawned = false)
    (hdecl : ∀ d, d ∈ sys.clients → d.badge ∈ cert.declared)
    {u v : Node} (h : FlowStep sys (· ≠ ·) s u v) : FlowStep sys Apart cert.state u.abs v.abs := by
  cases h with
  | call hk hs hr hne =>
    exact FlowStep.call (by rw [Target.kind_abs]; exact hk) (sends_abs hcov hsrv hs)
      (holds_abs hcov hr) (apart_abs hne)
  | answer hk hs hr hne =>
    exact FlowStep.answer (by rw [Target.kind_abs]; exact hk) (sends_abs hcov hsrv hs)
      (holds_abs hcov hr) (apart_abs hne)
  | receiveAffects hr ha hb hne hbt =>
    exact FlowStep.receiveAffects (by rw [Target.kind_abs]; exact hr) (holds_abs hcov ha)
      (holds_abs hcov hb) (apart_abs hne) (between_abs hbt)
  | signal hk hcase =>
    rcases hcase with ⟨hh, rfl, rfl⟩ | ⟨hh, rfl, rfl⟩
    · exact FlowStep.signal (by rw [Target.kind_abs]; exact hk) (Or.inl ⟨holds_abs hcov hh, rfl, rfl⟩)
    · exact FlowStep.signal (by rw [Target.kind_abs]; exact hk) (Or.inr ⟨holds_abs hcov hh, rfl, rfl⟩)
  | memory hm hmn hap hr hdir =>
    obtain ⟨rs', b', m', sub, _⟩ := (hcov.caps _ hm).elim
    rcases hdir with ⟨rfl, rfl⟩ | ⟨hw, rfl, rfl⟩
    · exact FlowStep.memory m' (memoryNode_abs_some hmn) (memoryApart_abs hap) (sub _ hr)
        (Or.inl ⟨rfl, rfl⟩)
    · exact FlowStep.memory m' (memoryNode_abs_some hmn) (memoryApart_abs hap) (sub _ hr)
        (Or.inr ⟨sub _ hw, rfl, rfl⟩)
  | control hc hh hap hbt =>
    exact FlowStep.control (controlled_abs_some hc) (holds_abs hcov hh) (apart_abs hap)
      (between_abs hbt)
  | object ho hcase =>
    exact FlowStep.object ho (object_abs hcov hsrv hdecl (hobj _ ho) hcase)

/-! ## Trust and facts -/

theorem widened_mono {p : Policy} {sid : Sid} {m m' : Label → Prop} (hm : ∀ l, m l → m' l)
    {l : Label} (h : Widened p sid m l) : Widened p sid m' l := by
  induction h with
  | base hl => exact Widened.base (hm _ hl)
  | trust _ hr hs ho ih => exact Widened.trust ih hr hs ho

theorem widened_trans {p : Policy} {sid : Sid} {m m' : Label → Prop}
    (hm : ∀ l, m' l → Widened p sid m l) {l : Label} (h : Widened p sid m' l) :
    Widened p sid m l := by
  induction h with
  | base hl => exact hm _ hl
  | trust _ hr hs ho ih => exact Widened.trust ih hr hs ho

/-- One round of `widenStep` only adds labels `Widened` allows. -/
theorem widenStep_sound {p : Policy} {sid : Sid} {m : List Label} {l : Label}
    (h : l ∈ widenStep p sid m) : Widened p sid (fun x => x ∈ m) l := by
  unfold widenStep at h
  cases List.mem_append.mp h with
  | inl hl => exact Widened.base hl
  | inr hl =>
    obtain ⟨r, hr, rfl⟩ := List.mem_map.mp hl
    have ⟨hrt, hc⟩ := List.mem_filter.mp hr
    obtain ⟨l', hl', ho⟩ := List.any_eq_true.mp (and_true_right (and_true_right hc))
    exact Widened.trust (Widened.base hl') hrt (of_decide_eq_true (and_true_left hc))
      (mem_of_memB ho)

/-- Any number of `widenStep` rounds only adds labels `Widened` allows. -/
theorem widenL_sound {p : Policy} {sid : Sid} :
    ∀ (n : Nat) {m : List Label} {l : Label}, l ∈ widenL p sid n m →
      Widened p sid (fun x => x ∈ m) l
  | 0, _, _, h => Widened.base h
  | n + 1, _, _, h => widened_trans (fun _ hx => widenStep_sound hx) (widenL_sound n h)

/-- What `leaveL` lets leave a node is what arrived, or, at a component the certificate trusts,
what its trust rules allow. -/
theorem leaveL_sound {p : Policy} {T : List Component} {w : Node} {ms : List Label} {l : Label}
    (h : l ∈ leaveL p T w ms) :
    l ∈ ms ∨ ∃ c, w = .comp c ∧ c ∈ T ∧ Widened p c.sid (fun x => x ∈ ms) l := by
  cases w with
  | comp c =>
    have h' : l ∈ (bif memB c T then widenL p c.sid p.trust.length ms else ms) := h
    cases hc : memB c T with
    | false =>
      rw [hc] at h'
      exact Or.inl h'
    | true =>
      rw [hc] at h'
      exact Or.inr ⟨c, rfl, mem_of_memB hc, widenL_sound _ h'⟩
  | obj o => exact Or.inl h
  | chan t => exact Or.inl h

/-- What the certificate computes leaving `u.abs` is, label by label, what leaves `u`, provided
the certificate trusts only honoured initial components. -/
theorem leave_sound {p : Policy} {H : Component → Prop} {T : List Component}
    (hT : ∀ c, c ∈ T → c.spawned = false ∧ H c) {u : Node} {ms : List Label}
    {m : Label → Prop} (hm : ∀ l, l ∈ ms → m l) {l : Label} (h : l ∈ leaveL p T u.abs ms) :
    Leave p H u m l := by
  unfold Leave
  cases leaveL_sound h with
  | inl hl => exact Or.inl (hm _ hl)
  | inr hw =>
    obtain ⟨c, hu, hc, hwid⟩ := hw
    have ⟨hns, hH⟩ := hT c hc
    cases u with
    | comp c0 =>
      have h0 : c0.abs = c := Node.comp.inj hu
      have hc0 : c0 = c := holder_of_abs hns h0
      subst hc0
      exact Or.inr ⟨c0, rfl, hH, widened_mono hm hwid⟩
    | obj o => cases hu
    | chan t => cases hu

/-! ## The flow checker is sound -/

theorem checkEdges_sound (h : checkEdges sys cert = true) {u v : Node}
    (hs : FlowStep sys Apart cert.state u v) : v ∈ lookup cert.edges u :=
  mem_of_memB (of_all h (ruleEdges_complete hs))

/-- `checkFacts` is sound: the facts are seeded at every labelled node and closed under the graph,
widened where they leave a trusted component. -/
theorem checkFacts_sound (h : checkFacts sys cert = true) :
    (∀ {u v : Node} {l : Label}, v ∈ lookup cert.edges u → l ∈ labelsOf sys.policy u →
      (l, leaveL sys.policy cert.trusted u [l]) ∈ lookup cert.facts v) ∧
    (∀ {u v : Node} {f : Label × List Label}, v ∈ lookup cert.edges u →
      f ∈ lookup cert.facts u → (f.1, leaveL sys.policy cert.trusted u f.2) ∈ lookup cert.facts v) := by
  constructor
  · intro u v l hv hl
    obtain ⟨p, hp, rfl, hv'⟩ := lookup_mem hv
    exact mem_of_memB (of_all (and_true_left (of_all (of_all h hp) hv')) hl)
  · intro u v f hv hf
    obtain ⟨p, hp, rfl, hv'⟩ := lookup_mem hv
    exact mem_of_memB (of_all (and_true_right (of_all (of_all h hp) hv')) hf)

/-- `checkAllowed` is sound: every fact may flow to the label of the node it arrives at. -/
theorem checkAllowed_sound (h : checkAllowed sys cert = true) {v : Node}
    {f : Label × List Label} {lb : Label} (hf : f ∈ lookup cert.facts v)
    (hlb : lb ∈ labelsOf sys.policy v) : ∃ l, l ∈ f.2 ∧ (l, lb) ∈ sys.policy.flows := by
  obtain ⟨p, hp, rfl, hf'⟩ := lookup_mem hf
  obtain ⟨l, hl, hm⟩ := List.any_eq_true.mp (of_all (of_all (of_all h hp) hf') hlb)
  exact ⟨l, hl, mem_of_memB hm⟩

/-- `checkFlowClosed` is sound. -/
theorem flowClosed_of_check (h : checkFlowClosed sys cert = true) : FlowClosed sys cert := by
  have h1 := and_true_left h
  have h2 := and_true_left (and_true_right h)
  have h3 := and_true_left (and_true_right (and_true_right h))
  have h4 := and_true_left (and_true_right (and_true_right (and_true_right h)))
  have h5 := and_true_left (and_true_right (and_true_right (and_true_right (and_true_right h))))
  have h6 := and_true_left
    (and_true_right (and_true_right (and_true_right (and_true_right (and_true_right h)))))
  have h7 := and_true_right
    (and_true_right (and_true_right (and_true_right (and_true_right (and_true_right h)))))
  have hfacts := checkFacts_sound h5
  exact {
    declared := fun d hd => mem_of_memB (of_all h1 hd),
    handleServers := fun x hx => false_of_not_true (of_all h2 hx),
    objectServers := fun o ho => false_of_not_true (of_all h3 ho),
    edges := fun hs => checkEdges_sound h4 hs,
    seed := fun hv hl => hfacts.1 hv hl,
    step := fun hv hf => hfacts.2 hv hf,
    allowed := fun hf hlb => checkAllowed_sound h6 hf hlb,
    trusted := fun c hc => checkUntampered_sound (of_all h7 hc) }

/-- Every fact of a covered state is, at the abstracted node, a fact of the certificate whose
labels it may all be treated as. -/
theorem facts_of_carries {H : Component → Prop} {s : State} (hcov : Covers cert s)
    (hf : FlowClosed sys cert) (hT : ∀ c, c ∈ cert.trusted → H c)
    {src : Label} {m : Label → Prop} {v : Node} (h : Carries sys H s src m v) :
    ∃ ms, (src, ms) ∈ lookup cert.facts v.abs ∧ ∀ l, l ∈ ms → m l := by
  have hT' : ∀ c, c ∈ cert.trusted → c.spawned = false ∧ H c :=
    fun c hc => ⟨(hf.trusted c hc).1, hT c hc⟩
  induction h with
  | first hl hst =>
    have he := hf.edges (flowStep_abs hcov hf.handleServers hf.objectServers hf.declared hst)
    exact ⟨_, hf.seed he (by rw [labelsOf_abs]; exact hl), fun l hl2 =>
      leave_sound hT' (fun x hx => List.mem_singleton.mp hx) hl2⟩
  | next _ hst ih =>
    obtain ⟨ms, hms, hsub⟩ := ih
    have he := hf.edges (flowStep_abs hcov hf.handleServers hf.objectServers hf.declared hst)
    exact ⟨_, hf.step he hms, fun l hl2 => leave_sound hT' hsub hl2⟩

/-- A closed, allowed flow certificate makes every state it covers flow-secure, trusting what
the certificate trusts. -/
theorem flow_secure_of_covers {H : Component → Prop} {s : State} (hcov : Covers cert s)
    (hf : FlowClosed sys cert) (hT : ∀ c, c ∈ cert.trusted → H c) : FlowSecureIn sys H s := by
  unfold FlowSecureIn
  intro src m v h lb hlb
  obtain ⟨ms, hms, hsub⟩ := facts_of_carries hcov hf hT h
  have hlb' : lb ∈ labelsOf sys.policy v.abs := by rw [labelsOf_abs]; exact hlb
  obtain ⟨l, hl, hfl⟩ := hf.allowed hms hlb'
  exact ⟨l, hsub l hl, hfl⟩

/-- A component the certificate trusts is honoured in every state the certificate covers. -/
theorem honoured_of_check {reach : State → Prop} (hreach : ∀ s, reach s → Covers cert s)
    (hf : FlowClosed sys cert) : ∀ c, c ∈ cert.trusted → Honoured reach c := by
  intro c hc
  unfold Honoured
  intro s hs
  have ⟨hns, hu⟩ := hf.trusted c hc
  exact untampered_of_covers (hreach s hs) hns hu

/-- **P5 is sound**: a certificate accepted by `checkFlowSecurity` proves that in every state
the kernel rules can reach, every fact reaching a labelled node may arrive there, with the trust
of every trusted component nobody can tamper with honoured. -/
theorem flow_security_of_check (sys : Sys) (cert : Certificate)
    (h : checkFlowSecurity sys cert = true) : FlowSecurity sys := by
  have hk := kernelClosed_of_check (and_true_left h)
  have hf := flowClosed_of_check (and_true_right h)
  intro s hs
  exact flow_secure_of_covers (covers_of_kreachable hk hs) hf
    (honoured_of_check (fun _ hs' => covers_of_kreachable hk hs') hf)

end SMOS
