import SMOS.Checkers.Authority
import SMOS.Thm.Invariant
import SMOS.Thm.Mediation

/-!
# Soundness of the authority checkers, and P1, P2, P3

Mirrors `SMOS.Checkers.Authority`: one soundness lemma per checker, then the three properties.
-/

namespace SMOS

variable {sys : Sys} {cert : Certificate}

/-! ## The closure checkers -/

/-- `checkInit` is sound: the certificate lists the initial state exactly. -/
theorem listsInitial_of_check (h : checkInit sys cert = true) : ListsInitial sys cert :=
  ⟨fun _ hc => (Bool.or_eq_true _ _ ▸ and_true_left h).elim
     (fun hp => mem_of_sublistB hp (List.mem_map_of_mem hc))
     (fun ha => mem_of_memB (of_all ha hc)),
   fun _ he => (Bool.or_eq_true _ _ ▸ and_true_left (and_true_right h)).elim
     (fun hp => mem_of_sublistB hp (List.mem_map_of_mem he))
     (fun ha => mem_of_memB (of_all ha he)),
   fun _ hx => mem_of_memB (of_all (and_true_right (and_true_right h)) hx)⟩

/-- `checkInit` is sound: the certificate covers the initial state. -/
theorem checkInit_sound (h : checkInit sys cert = true) : Covers cert sys.initial :=
  have hl := listsInitial_of_check h
  ⟨hl.1, fun e he => certHasBy_of_mem (hl.2.1 e he) (Or.inl rfl), hl.2.2⟩

/-- What `h` holds according to `heldBy` is what the groups list for it, for any way `mk` of
making a holder's thing whole that tells holders and things apart. -/
theorem mem_heldBy {α β : Type} {G : Groups α} {mk : Component → α → β}
    (inj : ∀ {h h' : Component} {x x' : α}, mk h x = mk h' x' → h = h' ∧ x = x')
    {h : Component} {x : α} : x ∈ heldBy G h ↔ mk h x ∈ G.flatMap fun g => g.2.map (mk g.1) := by
  unfold heldBy
  rw [List.mem_flatMap, List.mem_flatMap]
  constructor
  · intro ⟨g, hg, hx⟩
    have ⟨hgG, e⟩ := List.mem_filter.mp hg
    have e' : g.1 = h := of_decide_eq_true e
    exact ⟨g, hgG, List.mem_map.mpr ⟨x, hx, by rw [e']⟩⟩
  · intro ⟨g, hg, hm⟩
    have ⟨x', hx', he⟩ := List.mem_map.mp hm
    obtain ⟨e, rfl⟩ := inj he
    exact ⟨g, List.mem_filter.mpr ⟨hg, decide_eq_true e⟩, hx'⟩

theorem Slot.cap_inj {h h' : Component} {s s' : Slot} (he : Slot.cap h s = Slot.cap h' s') :
    h = h' ∧ s = s' := by
  obtain ⟨t, r, b⟩ := s
  obtain ⟨t', r', b'⟩ := s'
  simp only [Slot.cap, Cap.mk.injEq] at he
  obtain ⟨rfl, rfl, rfl, rfl⟩ := he
  exact ⟨rfl, rfl⟩

theorem Held.handle_inj {h h' : Component} {x x' : Held} (he : Held.handle h x = Held.handle h' x') :
    h = h' ∧ x = x' := by
  obtain ⟨o, op⟩ := x
  obtain ⟨o', op'⟩ := x'
  simp only [Held.handle, Handle.mk.injEq] at he
  obtain ⟨rfl, rfl, rfl⟩ := he
  exact ⟨rfl, rfl⟩

/-- A cap is listed exactly when its holder's groups hold it. -/
theorem mem_slotsOf {G : Groups Slot} {h : Component} {s : Slot} :
    s ∈ heldBy G h ↔ s.cap h ∈ capsOf G :=
  mem_heldBy Slot.cap_inj

/-- A handle is listed exactly when its holder's groups hold it. -/
theorem mem_heldHandles {G : Groups Held} {h : Component} {x : Held} :
    x ∈ heldBy G h ↔ x.handle h ∈ handlesOf G :=
  mem_heldBy Held.handle_inj

/-- A listed cap is among what its holder holds. -/
theorem slot_mem_of_mem {G : Groups Slot} {h : Component} {t : Target} {r : List Right} {b : Nat}
    (hc : Cap.mk h t r b ∈ capsOf G) : Slot.mk t r b ∈ heldBy G h :=
  mem_slotsOf.mpr hc

/-- A listed cap is one of a group's. -/
theorem mem_capsOf {G : Groups Slot} {c : Cap} :
    c ∈ capsOf G ↔ ∃ g, g ∈ G ∧ ∃ s, s ∈ g.2 ∧ s.cap g.1 = c := by
  unfold capsOf
  rw [List.mem_flatMap]
  constructor
  · intro ⟨g, hg, hm⟩
    obtain ⟨s, hs, he⟩ := List.mem_map.mp hm
    exact ⟨g, hg, s, hs, he⟩
  · intro ⟨g, hg, s, hs, he⟩
    exact ⟨g, hg, List.mem_map.mpr ⟨s, hs, he⟩⟩

/-- `allSlots` holds at every listed cap. -/
theorem of_allSlots {G : Groups Slot} {f : Component → Slot → Bool} (h : allSlots G f = true)
    {a : Component} {t : Target} {r : List Right} {b : Nat} (hc : Cap.mk a t r b ∈ capsOf G) :
    f a ⟨t, r, b⟩ = true := by
  obtain ⟨g, hg, s, hs, he⟩ := mem_capsOf.mp hc
  obtain ⟨rfl, rfl⟩ := Slot.cap_inj (h' := a) (s' := ⟨t, r, b⟩) he
  exact of_all (of_all h hg) hs

theorem allSlots_of {G : Groups Slot} {f : Component → Slot → Bool}
    (h : ∀ a t r b, Cap.mk a t r b ∈ capsOf G → f a ⟨t, r, b⟩ = true) : allSlots G f = true :=
  List.all_eq_true.mpr fun g hg => List.all_eq_true.mpr fun s hs =>
    h g.1 s.target s.rights s.badge (mem_capsOf.mpr ⟨g, hg, s, hs, rfl⟩)

/-- What `pickedBy` picks is a group and the target of one of its caps that passes `p`. -/
theorem mem_pickedBy {G : Groups Slot} {p : Slot → Bool} {x : Target × (Component × List Slot)} :
    x ∈ pickedBy G p ↔ x.2 ∈ G ∧ ∃ s, s ∈ x.2.2 ∧ s.target = x.1 ∧ p s = true := by
  obtain ⟨t, g⟩ := x
  unfold pickedBy
  rw [List.mem_flatMap]
  constructor
  · intro ⟨g', hg, hm⟩
    obtain ⟨s, hs, he⟩ := List.mem_map.mp hm
    obtain ⟨hs, hp⟩ := List.mem_filter.mp hs
    obtain ⟨ht, hh⟩ := Prod.mk.inj he
    subst ht hh
    exact ⟨hg, s, hs, rfl, hp⟩
  · intro ⟨hg, s, hs, ht, hp⟩
    exact ⟨g, hg, List.mem_map.mpr ⟨s, List.mem_filter.mpr ⟨hs, hp⟩, by rw [ht]⟩⟩

/-- `held` finds everything a group's holder holds. -/
def Finds (G : Groups Slot) (held : Component × List Slot → List Slot) : Prop :=
  ∀ g, g ∈ G → ∀ s, s ∈ held g ↔ s.cap g.1 ∈ capsOf G

/-- Looking a holder up among all groups finds everything it holds. -/
theorem finds_heldBy (G : Groups Slot) : Finds G fun g => heldBy G g.1 :=
  fun _ _ _ => mem_slotsOf

/-- When every holder has one group, its group is everything it holds. -/
theorem finds_snd {G : Groups Slot} (h : holdersApart G = true) : Finds G Prod.snd := by
  intro g hg s
  constructor
  · intro hs
    exact mem_capsOf.mpr ⟨g, hg, s, hs, rfl⟩
  · intro hc
    obtain ⟨g', hg', s', hs', he⟩ := mem_capsOf.mp hc
    obtain ⟨h1, rfl⟩ := Slot.cap_inj he
    have e : g' = g := eq_of_ascendingB (key := fun g : Component × List Slot => g.1.key)
      (by unfold holdersApart at h; exact h) hg' hg (by show g'.1.key = g.1.key; rw [h1])
    exact e ▸ hs'

/-- `byGroups` is sound: what a rule shows with any `held` that finds what holders hold, it shows
when either of the two ways `byGroups` tries accepts. -/
theorem byGroups_sound {G : Groups Slot} {rule : Groups Slot → (Component × List Slot → List Slot) → Bool}
    {P : Prop} (hr : ∀ {held}, Finds G held → rule G held = true → P) (h : byGroups G rule = true) : P := by
  rcases true_of_or h with h | h
  · exact hr (finds_snd (and_true_left h)) (and_true_right h)
  · exact hr (finds_heldBy G) h

/-- `byGroups` is complete: a rule that holds with holders looked up (`heldBy`) is accepted. -/
theorem byGroups_complete {G : Groups Slot} {rule : Groups Slot → (Component × List Slot → List Slot) → Bool}
    (hr : rule G (fun g => heldBy G g.1) = true) : byGroups G rule = true :=
  or_of_true (Or.inr hr)

/-- `grantWith` is sound whenever `held` finds everything a group's holder holds: the groups are
closed under `KStep.grant`. -/
theorem grantWith_sound {G : Groups Slot} {held : Component × List Slot → List Slot} (hf : Finds G held)
    (h : grantWith G held = true) {snd rcv : Component} {ep t : Target} {rs rr r : List Right}
    {bs br b : Nat} (hs : Cap.mk snd ep rs bs ∈ capsOf G) (hsend : Right.send ∈ rs)
    (hgrant : Right.grant ∈ rs) (hr : Cap.mk rcv ep rr br ∈ capsOf G) (hrecv : Right.receive ∈ rr)
    (hc : Cap.mk snd t r b ∈ capsOf G) : Cap.mk rcv t r b ∈ capsOf G := by
  obtain ⟨g, hg, s, hs', he⟩ := mem_capsOf.mp hs
  obtain ⟨rfl, rfl⟩ := Slot.cap_inj (h' := snd) (s' := ⟨ep, rs, bs⟩) he
  obtain ⟨gr, hgr, sr, hsr, her⟩ := mem_capsOf.mp hr
  obtain ⟨rfl, rfl⟩ := Slot.cap_inj (h' := rcv) (s' := ⟨ep, rr, br⟩) her
  have h2 := imp_true (of_all (of_all h hg) hs') (both_true (memB_of_mem hsend) (memB_of_mem hgrant))
  have hp : (ep, gr) ∈ pickedBy G fun v => memB Right.receive v.rights :=
    mem_pickedBy.mpr ⟨hgr, _, hsr, rfl, memB_of_mem hrecv⟩
  have h3 := imp_true (of_all h2 hp) (decide_eq_true rfl)
  exact (hf gr hgr ⟨t, r, b⟩).mp (mem_of_includedB h3 ((hf g hg ⟨t, r, b⟩).mpr hc))

/-- `replyWith` is sound whenever `held` finds everything a group's holder holds: the groups are
closed under `KStep.reply`. -/
theorem replyWith_sound {G : Groups Slot} {held : Component × List Slot → List Slot} (hf : Finds G held)
    (h : replyWith G held = true) {clt srv : Component} {ep t : Target} {rc rv r : List Right}
    {bc bv b : Nat} (hc : Cap.mk clt ep rc bc ∈ capsOf G) (hsend : Right.send ∈ rc)
    (hg : Right.grant ∈ rc ∨ Right.grantReply ∈ rc) (hv : Cap.mk srv ep rv bv ∈ capsOf G)
    (hrecv : Right.receive ∈ rv) (hgr : Right.grant ∈ rv) (h3 : Cap.mk srv t r b ∈ capsOf G) :
    Cap.mk clt t r b ∈ capsOf G := by
  obtain ⟨g, hgG, s, hs', he⟩ := mem_capsOf.mp hc
  obtain ⟨rfl, rfl⟩ := Slot.cap_inj (h' := clt) (s' := ⟨ep, rc, bc⟩) he
  obtain ⟨gv, hgv, sv, hsv, hev⟩ := mem_capsOf.mp hv
  obtain ⟨rfl, rfl⟩ := Slot.cap_inj (h' := srv) (s' := ⟨ep, rv, bv⟩) hev
  have h2 := imp_true (of_all (of_all h hgG) hs') (both_true (memB_of_mem hsend) (or_memB hg))
  have hp : (ep, gv) ∈ pickedBy G fun v => memB Right.receive v.rights && memB Right.grant v.rights :=
    mem_pickedBy.mpr ⟨hgv, _, hsv, rfl, both_true (memB_of_mem hrecv) (memB_of_mem hgr)⟩
  have h4 := imp_true (of_all h2 hp) (decide_eq_true rfl)
  exact (hf g hgG ⟨t, r, b⟩).mp (mem_of_includedB h4 ((hf gv hgv ⟨t, r, b⟩).mpr h3))

/-- `checkGrant` is sound: the groups are closed under `KStep.grant` (whoever holds send and
grant on an endpoint gives each of its caps to everyone who receives there). -/
theorem checkGrant_sound {G : Groups Slot} (h : checkGrant G = true) :
    ∀ {snd rcv : Component} {ep t : Target} {rs rr r : List Right} {bs br b : Nat},
      Cap.mk snd ep rs bs ∈ capsOf G → Right.send ∈ rs → Right.grant ∈ rs →
      Cap.mk rcv ep rr br ∈ capsOf G → Right.receive ∈ rr →
      Cap.mk snd t r b ∈ capsOf G → Cap.mk rcv t r b ∈ capsOf G := by
  intro snd rcv ep t rs rr r bs br b hs hsend hgrant hr hrecv hc
  exact byGroups_sound (fun hf h' => grantWith_sound hf h' hs hsend hgrant hr hrecv hc) h

/-- `checkReply` is sound: the groups are closed under `KStep.reply` (a receiver with grant gives
each of its caps back to a caller with send and grant or grantReply). -/
theorem checkReply_sound {G : Groups Slot} (h : checkReply G = true) :
    ∀ {clt srv : Component} {ep t : Target} {rc rv r : List Right} {bc bv b : Nat},
      Cap.mk clt ep rc bc ∈ capsOf G → Right.send ∈ rc → (Right.grant ∈ rc ∨ Right.grantReply ∈ rc) →
      Cap.mk srv ep rv bv ∈ capsOf G → Right.receive ∈ rv → Right.grant ∈ rv →
      Cap.mk srv t r b ∈ capsOf G → Cap.mk clt t r b ∈ capsOf G := by
  intro clt srv ep t rc rv r bc bv b hc hsend hg hv hrecv hgr h3
  exact byGroups_sound (fun hf h' => replyWith_sound hf h' hc hsend hg hv hrecv hgr h3) h

theorem cnodeClosedAt_own (G : Groups Slot) (a x : Component) (k : ObjKind) (rs : List Right)
    (b : Nat) :
    cnodeClosedAt G (Cap.mk a (.own x k) rs b) =
      (!(decide (k = .cnode) && memB Right.control rs) ||
        (includedB (heldBy G x) (heldBy G a) && includedB (heldBy G a) (heldBy G x))) := rfl

/-- `checkCNode` is sound: control of a CNode copies every cap out of it and into it
(`KStep.copyOut`, `KStep.copyIn`). -/
theorem checkCNode_sound {G : Groups Slot} (h : checkCNode G = true) {a x : Component}
    {ra : List Right} {ba : Nat} (hg : Cap.mk a (.own x .cnode) ra ba ∈ capsOf G)
    (hctl : Right.control ∈ ra) :
    (∀ {t : Target} {r : List Right} {b : Nat}, Cap.mk x t r b ∈ capsOf G → Cap.mk a t r b ∈ capsOf G) ∧
    (∀ {t : Target} {r : List Right} {b : Nat}, Cap.mk a t r b ∈ capsOf G → Cap.mk x t r b ∈ capsOf G) := by
  have h1 : cnodeClosedAt G (Cap.mk a (.own x .cnode) ra ba) = true := of_allSlots h hg
  rw [cnodeClosedAt_own] at h1
  have h2 := imp2_true h1 (decide_eq_true rfl) (memB_of_mem hctl)
  exact ⟨fun hc => mem_slotsOf.mp (mem_of_includedB (and_true_left h2) (slot_mem_of_mem hc)),
    fun hc => mem_slotsOf.mp (mem_of_includedB (and_true_right h2) (slot_mem_of_mem hc))⟩

theorem derivedAt_own (A : List Cap) (a x : Component) (k : ObjKind) (rs : List Right)
    (b : Nat) :
    derivedAt A (Cap.mk a (.own x k) rs b) =
      (!memB Right.control rs ||
        ((!decide (k = .tcb) ||
          (memB (Cap.mk a (.own x .cnode) [Right.control] 0) A &&
           memB (Cap.mk a (.own x .vspace) [Right.control] 0) A)) &&
         (!decide (k = .vspace) || memB (Cap.mk a (.own x .frames) memoryRights 0) A))) := rfl

/-- `checkDerived` is sound: control of a TCB gives its CNode and VSpace, control of a VSpace its
frames (`KStep.tcbCNode`, `KStep.tcbVSpace`, `KStep.vspaceFrames`). -/
theorem checkDerived_sound {G : Groups Slot} (h : checkDerived G = true) {a x : Component}
    {k : ObjKind} {ra : List Right} {ba : Nat} (hg : Cap.mk a (.own x k) ra ba ∈ capsOf G)
    (hctl : Right.control ∈ ra) :
    (k = .tcb → Cap.mk a (.own x .cnode) [Right.control] 0 ∈ capsOf G ∧
      Cap.mk a (.own x .vspace) [Right.control] 0 ∈ capsOf G) ∧
    (k = .vspace → Cap.mk a (.own x .frames) memoryRights 0 ∈ capsOf G) := by
  have h1 : derivedAt (capsOf G) (Cap.mk a (.own x k) ra ba) = true := of_allSlots h hg
  rw [derivedAt_own] at h1
  have h2 := imp_true h1 (memB_of_mem hctl)
  constructor
  · intro hk
    have h3 := imp_true (and_true_left h2) (decide_eq_true hk)
    exact ⟨mem_of_memB (and_true_left h3), mem_of_memB (and_true_right h3)⟩
  · intro hk
    exact mem_of_memB (imp_true (and_true_right h2) (decide_eq_true hk))

/-- `checkUntyped` is sound: control of an untyped gives every right to each object it covers
(`KStep.untypedCover`). -/
theorem checkUntyped_sound {covers : List (Target × Target)} {A : List Cap}
    (h : checkUntyped covers A = true) {a : Component} {u t : Target} {ra : List Right} {ba : Nat}
    (hut : (u, t) ∈ covers) (hg : Cap.mk a u.abs ra ba ∈ A) (hctl : Right.control ∈ ra) :
    Cap.mk a t.abs (kindRights t.kind) 0 ∈ A :=
  mem_of_memB (imp2_true (of_all (of_all h hut) hg) (decide_eq_true rfl) (memB_of_mem hctl))

/-- `checkKernelClosed` is sound. -/
theorem kernelClosed_of_check (h : checkKernelClosed sys cert = true) :
    KernelClosed sys cert := by
  have hinit := and_true_left h
  have h1 := and_true_right h
  have hgrant := and_true_left h1
  have h2 := and_true_right h1
  have hreply := and_true_left h2
  have h3 := and_true_right h2
  have hcnode := and_true_left h3
  have h4 := and_true_right h3
  have hder := and_true_left h4
  have hut := and_true_right h4
  exact {
    init := checkInit_sound hinit,
    grant := checkGrant_sound hgrant,
    reply := checkReply_sound hreply,
    copyOut := fun hg hctl hc => (checkCNode_sound hcnode hg hctl).1 hc,
    copyIn := fun hg hctl hc => (checkCNode_sound hcnode hg hctl).2 hc,
    tcbCNode := fun hg hctl => ((checkDerived_sound hder hg hctl).1 rfl).1,
    tcbVSpace := fun hg hctl => ((checkDerived_sound hder hg hctl).1 rfl).2,
    vspaceFrames := fun hg hctl => (checkDerived_sound hder hg hctl).2 rfl,
    untypedCover := fun hu hg hctl => checkUntyped_sound hut hu hg hctl }

/-- `checkSpawn` is sound: for every spawn rule a listed parent may use, the child's summary is
listed and the parent controls its TCB, CNode and VSpace (`Step.spawn`). -/
theorem checkSpawn_sound (h : checkSpawn sys cert = true) {p : Component} {rule : SpawnRule}
    (hp : p ∈ cert.comps) (hr : rule ∈ sys.policy.spawn) (hpar : rule.parent = p.sid) :
    summary rule.child rule.role ∈ cert.comps ∧
    Cap.mk p (.own (summary rule.child rule.role) .tcb) [Right.control] 0 ∈ cert.caps ∧
    Cap.mk p (.own (summary rule.child rule.role) .cnode) [Right.control] 0 ∈ cert.caps ∧
    Cap.mk p (.own (summary rule.child rule.role) .vspace) [Right.control] 0 ∈ cert.caps := by
  have h1 := imp_true (of_all (of_all h hr) hp) (eqB_of hpar)
  exact ⟨mem_of_memB (and_true_left h1),
    mem_of_memB (and_true_left (and_true_right h1)),
    mem_of_memB (and_true_left (and_true_right (and_true_right h1))),
    mem_of_memB (and_true_right (and_true_right (and_true_right h1)))⟩

/-- `sendsTo` is sound: a `true` answer names a cap with send to the endpoint. -/
theorem sendsTo_sound {A : List Cap} {c v : Component} (h : sendsTo A c v = true) :
    ∃ e, e ∈ A ∧ e.holder = c ∧ e.target = .own v .endpoint ∧ Right.send ∈ e.rights := by
  have ⟨e, he, hm⟩ := List.any_eq_true.mp h
  exact ⟨e, he, of_decide_eq_true (and_true_left hm),
    of_decide_eq_true (and_true_left (and_true_right hm)),
    mem_of_memB (and_true_right (and_true_right hm))⟩

/-- `checkConnect` is sound: every permitted connection is backed by a listed send cap (`Step.connect`). -/
theorem checkConnect_sound (h : checkConnect sys cert = true) {c v : Component}
    {rule : ConnectRule} (hc : c ∈ cert.comps) (hv : v ∈ cert.comps)
    (hr : rule ∈ sys.policy.connect) (hcs : rule.client = c.sid) (hvs : rule.server = v.sid) :
    ∃ rs b, Cap.mk c (.own v .endpoint) rs b ∈ cert.caps ∧ Right.send ∈ rs := by
  have ⟨e, he, hh, ht, hs⟩ := sendsTo_sound
    (imp_true (of_all (imp_true (of_all (of_all h hr) hc) (eqB_of hcs)) hv) (eqB_of hvs))
  refine ⟨e.rights, e.badge, ?_, hs⟩
  rw [← hh, ← ht]
  exact he

/-- `checkOpen` is sound: every open the decision table permits yields a listed handle (`Step.openObj`). -/
theorem checkOpen_sound (h : checkOpen sys cert = true) {c : Component} {o : SObj}
    {op : OpId} {rs : List Right} {b : Nat} (ho : o ∈ sys.objects)
    (he : Cap.mk c (.own o.server.abs .endpoint) rs b ∈ cert.caps) (hs : Right.send ∈ rs)
    (hp : smosAuth sys.decisions (Perm.mk c.sid o.sid o.cls op) = true) :
    Handle.mk c o op ∈ cert.handles := by
  have ⟨g, hg, hm⟩ := List.mem_flatMap.mp he
  have ⟨s, hsg, hsc⟩ := List.mem_map.mp hm
  obtain ⟨rfl, rfl⟩ := Slot.cap_inj (s' := ⟨.own o.server.abs .endpoint, rs, b⟩) hsc
  have ⟨hg', hhg, hf⟩ := of_allPairs (of_all h ho) hg
  have hsame : g.1 = hg'.1 := of_decide_eq_true (and_true_left hf)
  have h1 := imp2_true (of_all (and_true_right hf) hsg) (decide_eq_true rfl) (memB_of_mem hs)
  have hd : Decision.mk (Perm.mk g.1.sid o.sid o.cls op) true ∈ sys.decisions.filter fun d =>
      d.permit && (eqB d.req.object o.sid && eqB d.req.cls o.cls) :=
    List.mem_filter.mpr ⟨mem_of_memB hp, both_true rfl (both_true (eqB_of rfl) (eqB_of rfl))⟩
  have hx := mem_of_memB (imp_true (of_all h1 hd) (eqB_of rfl))
  rw [hsame]
  exact List.mem_flatMap.mpr ⟨hg', hhg, List.mem_map.mpr ⟨_, hx, rfl⟩⟩

/-- `checkPass` is sound: every permitted pass of a listed handle yields a listed handle (`Step.pass`). -/
theorem checkPass_sound (h : checkPass sys cert = true) {x : Handle} {r : Component}
    {rule : PassRule} (hx : x ∈ cert.handles) (hr : r ∈ cert.comps)
    (hrule : rule ∈ sys.policy.pass) (h1 : rule.sender = x.holder.sid)
    (h2 : rule.receiver = r.sid) (h3 : rule.cls = x.obj.cls) :
    Handle.mk r x.obj x.op ∈ cert.handles :=
  mem_of_memB (imp_true (of_all (imp2_true (of_all (of_all h hrule) hx) (eqB_of h1) (eqB_of h3)) hr)
    (eqB_of h2))

/-- `checkDeclared` is sound: every badge the certificate calls declared is a declared connection's. -/
theorem checkDeclared_sound (h : checkDeclared sys cert = true) {n : Nat} (hn : n ∈ cert.declared) :
    ∃ d, d ∈ sys.clients ∧ d.badge = n :=
  let ⟨d, hd, hdec⟩ := List.any_eq_true.mp (of_all h hn)
  ⟨d, hd, of_decide_eq_true hdec⟩

/-- `checkClosed` is sound. -/
theorem closed_of_check (h : checkClosed sys cert = true) : Closed sys cert := by
  have hk := kernelClosed_of_check (and_true_left h)
  have hspawn := and_true_left (and_true_right h)
  have hconnect := and_true_left (and_true_right (and_true_right h))
  have hopen := and_true_left (and_true_right (and_true_right (and_true_right h)))
  have hpass := and_true_left (and_true_right (and_true_right (and_true_right (and_true_right h))))
  have hdecl := and_true_right (and_true_right (and_true_right (and_true_right (and_true_right h))))
  exact {
    toKernelClosed := hk,
    spawn := fun hp hr hpar => checkSpawn_sound hspawn hp hr hpar,
    connect := fun hc hv hr hcs hvs => checkConnect_sound hconnect hc hv hr hcs hvs,
    openObj := fun ho he hs hp => checkOpen_sound hopen ho he hs hp,
    pass := fun hx hr hrule h1 h2 h3 => checkPass_sound hpass hx hr hrule h1 h2 h3,
    declared := fun hn => checkDeclared_sound hdecl hn }

/-! ## Privacy and conformance -/

theorem checkPrivate_sound {c : Component} (h : checkPrivate cert c = true) :
    c.spawned = false ∧ CertPrivate cert c := by
  constructor
  · exact false_of_not_true (and_true_left h)
  · intro e he k hk ht
    have h1 := of_all (of_all (and_true_right h) he) hk
    exact of_decide_eq_true (imp_true h1 (decide_eq_true ht))

/-- A certificate that keeps an initial component's objects private keeps them private in
every state it covers. -/
theorem private_of_covers {s : State} {c : Component} (hcov : Covers cert s)
    (hns : c.spawned = false) (hp : CertPrivate cert c) : PrivateTo s c := by
  intro e he k hk ht
  have ⟨rs, b, m, _, _⟩ := (hcov.caps e he).elim
  have habs : c.abs = c := Component.abs_of_not_spawned c hns
  have ht' : e.target.abs = Target.own c k := by
    rw [ht]
    show Target.own c.abs k = Target.own c k
    rw [habs]
  have hh : e.holder.abs = c := hp _ m k hk ht'
  have hsp : e.holder.spawned = false := by
    have hs' : e.holder.abs.spawned = c.spawned := by rw [hh]
    exact hs'.trans hns
  exact (Component.abs_of_not_spawned e.holder hsp).symm.trans hh

/-- A certificate holder that abstracts to an initial component is that component. -/
theorem holder_of_abs {x c : Component} (hns : c.spawned = false) (hh : x.abs = c) : x = c := by
  have hsp : x.spawned = false := by
    have hs' : x.abs.spawned = c.spawned := by rw [hh]
    exact hs'.trans hns
  exact (Component.abs_of_not_spawned x hsp).symm.trans hh

/-- `checkUntampered` is sound: the component is initial and, by the certificate, nobody else holds
its private objects or receives on its endpoint. -/
theorem checkUntampered_sound {c : Component} (h : checkUntampered cert c = true) :
    c.spawned = false ∧ CertUntampered cert c := by
  have ⟨hns, hp⟩ := checkPrivate_sound (and_true_left h)
  refine ⟨hns, ?_⟩
  unfold CertUntampered
  refine ⟨hp, ?_⟩
  intro e he ht hr
  exact of_decide_eq_true (imp2_true (of_all (and_true_right h) he) (decide_eq_true ht) (memB_of_mem hr))

theorem holder_of_untamperedCapB {cs : List Component} {e : Cap} {c : Component} {k : ObjKind}
    (h : untamperedCapB cs e = true) (ht : e.target = .own c k) (hg : guardedB k e = true)
    (hc : c ∈ cs) : e.holder = c := by
  unfold untamperedCapB at h
  rw [ht] at h
  cases true_of_or (imp_true h hg) with
  | inl hh => exact of_decide_eq_true hh
  | inr hn => exact nomatch (false_of_not_true hn).symm.trans (memB_of_mem hc)

/-- `checkUntamperedAll` is sound: every component of the list is initial and untampered by the
certificate. -/
theorem checkUntamperedAll_sound {cs : List Component} (h : checkUntamperedAll cert cs = true)
    {c : Component} (hc : c ∈ cs) : c.spawned = false ∧ CertUntampered cert c := by
  refine ⟨false_of_not_true (of_all (and_true_left h) hc), ?_⟩
  unfold CertUntampered
  refine ⟨fun e he k hk ht => ?_, fun e he ht hr => ?_⟩
  · exact holder_of_untamperedCapB (of_all (and_true_right h) he) ht
      (or_of_true (Or.inl (memB_of_mem hk))) hc
  · exact holder_of_untamperedCapB (of_all (and_true_right h) he) ht
      (or_of_true (Or.inr (both_true (decide_eq_true rfl) (memB_of_mem hr)))) hc

/-- A certificate that shows an initial component untampered shows it in every state it covers. -/
theorem untampered_of_covers {s : State} {c : Component} (hcov : Covers cert s)
    (hns : c.spawned = false) (hu : CertUntampered cert c) : Untampered s c := by
  unfold CertUntampered at hu
  unfold Untampered
  refine ⟨private_of_covers hcov hns hu.1, ?_⟩
  intro e he ht hr
  have ⟨rs, b, m, sub, _⟩ := (hcov.caps e he).elim
  have habs : c.abs = c := Component.abs_of_not_spawned c hns
  have ht' : e.target.abs = Target.own c .endpoint := by
    rw [ht]
    show Target.own c.abs .endpoint = Target.own c .endpoint
    rw [habs]
  exact holder_of_abs hns (hu.2 _ m ht' (sub _ hr))

/-- `checkRelied` is sound: every component the verdict relies on is untampered in every state the
certificate covers. -/
theorem relied_of_check {s : State} (h : checkRelied sys cert = true) (hcov : Covers cert s) :
    ReliedUntampered sys s := by
  intro c ⟨hm, hwhy⟩
  have hsel : (isPolicy c || trusts sys.policy c.sid) = true := by
    apply or_of_true
    cases hwhy with
    | inl hp => exact Or.inl (decide_eq_true hp)
    | inr ht =>
      have ⟨r, hr, hsub⟩ := ht
      exact Or.inr (List.any_eq_true.mpr ⟨r, hr, decide_eq_true hsub⟩)
  have ⟨hns, hu⟩ := checkUntampered_sound (imp_true (of_all h hm) hsel)
  exact untampered_of_covers hcov hns hu

/-- `checkConforms` is sound: every right of every listed cap is in `kernelAllow`, every listed
handle in `allow`. -/
theorem checkConforms_sound (h : checkConforms sys cert = true) : CertConforms sys cert := by
  unfold CertConforms
  constructor
  · intro e he r hr
    have ⟨g, hg, hm⟩ := List.mem_flatMap.mp he
    have ⟨s, hs, hse⟩ := List.mem_map.mp hm
    subst hse
    have h1 := of_all (of_all (of_all (and_true_left h) hg) hs) hr
    show sys.policy.kernelAllow.has ⟨g.1.sid, s.target.sid, s.target.kind, r⟩ = true
    rw [← KPermSet.has_only]
    exact h1
  · intro x hx
    have ⟨g, hg, hm⟩ := List.mem_flatMap.mp hx
    have ⟨y, hy, hyx⟩ := List.mem_map.mp hm
    subst hyx
    have h1 := of_all (of_all (and_true_right h) hg) hy
    show sys.policy.allow.has ⟨g.1.sid, y.obj.sid, y.obj.cls, y.op⟩ = true
    rw [← PermSet.has_only]
    exact h1

/-- A conforming certificate makes every state it covers conform. -/
theorem conforms_of_covers {s : State} (hcov : Covers cert s) (hc : CertConforms sys cert) :
    ConformsIn sys s := by
  unfold CertConforms at hc
  unfold ConformsIn
  constructor
  · intro e he r hr
    have ⟨rs, b, m, sub, _⟩ := (hcov.caps e he).elim
    have h1 : KPerm.mk e.holder.abs.sid e.target.abs.sid e.target.abs.kind r ∈
        sys.policy.kernelAllow := hc.1 _ m r (sub r hr)
    rw [Target.sid_abs, Target.kind_abs] at h1
    exact h1
  · intro x hx
    exact hc.2 x.abs (hcov.handles x hx)

/-! ## Borrowed identities -/

/-- `apartB` is complete. -/
theorem apartB_of {a b : Component} (h : Apart a b) : apartB a b = true := by
  unfold apartB
  unfold Apart at h
  cases h with
  | inl hne => rw [decide_eq_false hne]; rfl
  | inr hs => rw [hs, Bool.or_true]

/-- `apartB` is sound. -/
theorem apart_of_apartB {a b : Component} (h : apartB a b = true) : Apart a b := by
  unfold apartB at h
  unfold Apart
  cases hab : decide (a = b) with
  | false => exact Or.inl (of_decide_eq_false hab)
  | true =>
    rw [hab] at h
    exact Or.inr (by simpa using h)

/-- Two components apart stay apart abstracted (summaries count as apart from themselves). -/
theorem apart_abs {a b : Component} (h : a ≠ b) : Apart a.abs b.abs := by
  unfold Apart
  cases ha : a.spawned with
  | true => exact Or.inr ha
  | false =>
    refine Or.inl (fun he => h ?_)
    have hb : b.spawned = false := by
      have h1 : b.abs.spawned = a.abs.spawned := by rw [he]
      exact h1.trans ha
    exact (Component.abs_of_not_spawned a ha).symm.trans
      (he.trans (Component.abs_of_not_spawned b hb))

/-- `callerB` decided a caller: sound. -/
theorem caller_of_B {o : SObj} {e : Cap} (h : callerB o e = true) :
    e.target = .own o.server.abs .endpoint ∧ Right.send ∈ e.rights ∧ Apart e.holder o.server.abs :=
  ⟨of_decide_eq_true (and_true_left h), mem_of_memB (and_true_left (and_true_right h)),
   apart_of_apartB (and_true_right (and_true_right h))⟩

/-- `callerB`: complete. -/
theorem callerB_of {o : SObj} {e : Cap} (ht : e.target = .own o.server.abs .endpoint)
    (hs : Right.send ∈ e.rights) (hap : Apart e.holder o.server.abs) : callerB o e = true := by
  unfold callerB
  exact both_true (decide_eq_true ht) (both_true (memB_of_mem hs) (apartB_of hap))

/-- `meetB` decides `BadgesMeet`: sound. -/
theorem meet_of_B {b₁ b₂ : Nat} (h : meetB b₁ b₂ = true) : BadgesMeet b₁ b₂ := by
  unfold meetB at h
  unfold BadgesMeet
  rcases true_of_or h with h1 | h2
  · exact Or.inl (eq_of_eqB h1)
  · rcases true_of_or h2 with h3 | h4
    · exact Or.inr (Or.inl (eq_of_eqB h3))
    · exact Or.inr (Or.inr (eq_of_eqB h4))

/-- `meetB` decides `BadgesMeet`: complete. -/
theorem meetB_of {b₁ b₂ : Nat} (h : BadgesMeet b₁ b₂) : meetB b₁ b₂ = true := by
  unfold meetB
  unfold BadgesMeet at h
  rcases h with h1 | h2 | h3
  · exact or_of_true (Or.inl (eqB_of h1))
  · exact or_of_true (Or.inr (or_of_true (Or.inl (eqB_of h2))))
  · exact or_of_true (Or.inr (or_of_true (Or.inr (eqB_of h3))))

/-- `badgeCoversB` decides `BadgeCovers` for endpoints: sound. -/
theorem badgeCovers_of_B {D : List Nat} {b' b : Nat} (h : badgeCoversB D b' b = true) :
    BadgeCovers D b' b .endpoint := by
  unfold badgeCoversB coversB at h
  unfold BadgeCovers
  cases h1 : eqB b' b with
  | true => exact Or.inl (eq_of_eqB h1)
  | false =>
    rw [h1, Bool.false_or] at h
    cases h2 : eqB b' 0 with
    | true => exact Or.inr (Or.inl ⟨eq_of_eqB h2, rfl⟩)
    | false =>
      rw [h2, Bool.false_or] at h
      refine Or.inr (Or.inr ⟨fun e => ?_, fun e => ?_, fun hm => ?_⟩)
      · rw [eqB_of e] at h2
        cases h2
      · have h3 := false_of_not_true (and_true_left h)
        rw [eqB_of e] at h3
        cases h3
      · have h4 := false_of_not_true (and_true_right h)
        rw [memB_of_mem hm] at h4
        cases h4

/-- `badgeCoversB` decides `BadgeCovers` for endpoints: complete. -/
theorem badgeCoversB_of {D : List Nat} {b' b : Nat} (h : BadgeCovers D b' b .endpoint) :
    badgeCoversB D b' b = true := by
  unfold badgeCoversB coversB
  unfold BadgeCovers at h
  rcases h with he | ⟨h0, _⟩ | ⟨_, h2, h3⟩
  · rw [eqB_of he]; rfl
  · rw [eqB_of h0, Bool.true_or, Bool.or_true]
  · have hm : memB b D = false := by
      cases hb : memB b D with
      | false => rfl
      | true => exact absurd (mem_of_memB hb) h3
    have hb0 : eqB b 0 = false := by
      cases hx : eqB b 0 with
      | false => rfl
      | true => exact absurd (eq_of_eqB hx) h2
    rw [hm, hb0]
    cases eqB b' b <;> cases eqB b' 0 <;> rfl

/-- A client of `o`'s server, with whether its badge is declared: what `checkNoBorrow` compares a
caller with. -/
theorem client_mem_of {o : SObj} {d : Client} (hd : d ∈ sys.clients) (hds : d.server = o.server) :
    (d, memB d.badge cert.declared) ∈ (sys.clients.filter fun d => decide (d.server = o.server)).map
      fun d => (d, memB d.badge cert.declared) :=
  List.mem_map.mpr ⟨d, List.mem_filter.mpr ⟨hd, decide_eq_true hds⟩, rfl⟩

theorem capsWhere_eq (G : Groups Slot) (p : Cap → Bool) : capsWhere G p = (capsOf G).filter p := by
  unfold capsWhere capsOf
  rw [List.filter_flatMap]
  congr 1
  funext g
  rw [List.filter_map]
  rfl

/-- A listed cap passing `p` is picked out by `capsWhere`, and what it picks is such a cap. -/
theorem mem_capsWhere {G : Groups Slot} {p : Cap → Bool} {e : Cap} :
    e ∈ capsWhere G p ↔ e ∈ capsOf G ∧ p e = true := by
  rw [capsWhere_eq, List.mem_filter]

/-- `checkNoBorrow` is sound. -/
theorem checkNoBorrow_sound (h : checkNoBorrow sys cert = true) : CertNoBorrow sys cert := by
  intro e he o ho ht hs hap d hd hds hb op hp
  have h1 := of_all (of_all h ho) (mem_capsWhere.mpr ⟨he, callerB_of ht hs hap⟩)
  have h2 := imp_true (of_all h1 (client_mem_of hd hds)) (badgeCoversB_of hb)
  exact Policy.allowsAllOf_iff.mp h2 op hp

/-- `checkNoBorrow` is complete: a certificate in which no caller borrows an identity that opens
more is accepted. -/
theorem checkNoBorrow_complete (h : CertNoBorrow sys cert) : checkNoBorrow sys cert = true := by
  unfold checkNoBorrow
  refine List.all_eq_true.mpr fun o ho => List.all_eq_true.mpr fun e he' => ?_
  have ⟨he, hc⟩ := mem_capsWhere.mp he'
  have ⟨ht, hs, hap⟩ := caller_of_B hc
  refine List.all_eq_true.mpr fun dd hdd => imp_intro fun hc2 => ?_
  have ⟨d, hdf, hdd'⟩ := List.mem_map.mp hdd
  subst hdd'
  have ⟨hd, hds⟩ := List.mem_filter.mp hdf
  have hb := badgeCovers_of_B (hc2 : badgeCoversB cert.declared e.badge d.badge = true)
  exact Policy.allowsAllOf_iff.mpr (h e he o ho ht hs hap d hd (of_decide_eq_true hds) hb)

/-- A certificate in which no caller borrows an identity that opens more shows the same of every
state it covers: a state's cap is listed, abstracted, with a badge standing for its own, and its
holder stays apart from the (abstracted) server. -/
theorem noBorrow_of_covers {s : State} (hcov : Covers cert s) (hc : CertNoBorrow sys cert) :
    NoBorrowedIdentity sys s := by
  intro e he o ho ht hs hne d hd hds hb op hp
  obtain ⟨rs, b', m, sub, hbc⟩ := (hcov.caps e he).elim
  have ht' : e.target.abs = .own o.server.abs .endpoint := by
    rw [ht]
    rfl
  rw [ht] at hbc
  have hbd : BadgeCovers cert.declared b' d.badge .endpoint := by
    unfold BadgeCovers at hbc ⊢
    rcases hbc with he' | ⟨h0, hmint⟩ | ⟨h1, h2, h3⟩
    · rcases hb with hb0 | hbd
      · exact Or.inr (Or.inl ⟨he'.trans hb0, rfl⟩)
      · exact Or.inl (he'.trans hbd)
    · exact Or.inr (Or.inl ⟨h0, hmint⟩)
    · rcases hb with hb0 | hbd
      · exact absurd hb0 h2
      · rw [hbd] at h2 h3
        exact Or.inr (Or.inr ⟨h1, h2, h3⟩)
  have hr : Perm.mk e.holder.abs.sid o.sid o.cls op ∈ sys.policy.allow :=
    hc _ m o ho ht' (sub _ hs) (apart_abs hne) d hd hds hbd op hp
  exact hr

/-! ## Callers a server cannot tell apart -/

/-- `checkCallersDistinct` is sound. -/
theorem checkCallersDistinct_sound (h : checkCallersDistinct sys cert = true) :
    CertCallersDistinct sys cert := by
  intro e₁ e₂ h₁ h₂ o ho ht₁ ht₂ hs₁ hs₂ hap₁ hap₂ hm op hp
  have hc₁ : e₁ ∈ capsWhere cert.capGroups (callerB o) := mem_capsWhere.mpr ⟨h₁, callerB_of ht₁ hs₁ hap₁⟩
  have hc₂ : e₂ ∈ capsWhere cert.capGroups (callerB o) := mem_capsWhere.mpr ⟨h₂, callerB_of ht₂ hs₂ hap₂⟩
  have h1 := of_all (of_all (of_all h ho) hc₁) hc₂
  cases hsid : eqB e₁.holder.sid e₂.holder.sid with
  | true =>
    rw [← eq_of_eqB hsid]
    exact hp
  | false =>
    rw [hsid, Bool.false_or] at h1
    exact Policy.allowsAllOf_iff.mp (imp_true h1 (meetB_of hm)) op hp

/-- `checkCallersDistinct` is complete: a certificate in which no two callers a server may see
with one badge are treated differently is accepted. -/
theorem checkCallersDistinct_complete (h : CertCallersDistinct sys cert) :
    checkCallersDistinct sys cert = true := by
  unfold checkCallersDistinct
  refine List.all_eq_true.mpr fun o ho => ?_
  unfold callersAt callersDistinctAt
  refine List.all_eq_true.mpr fun e₁ hc₁ => List.all_eq_true.mpr fun e₂ hc₂ => ?_
  have ⟨h₁, hb₁⟩ := mem_capsWhere.mp hc₁
  have ⟨h₂, hb₂⟩ := mem_capsWhere.mp hc₂
  have ⟨ht₁, hs₁, hap₁⟩ := caller_of_B hb₁
  have ⟨ht₂, hs₂, hap₂⟩ := caller_of_B hb₂
  refine or_of_true (Or.inr (imp_intro fun hmB => ?_))
  exact Policy.allowsAllOf_iff.mpr (h e₁ e₂ h₁ h₂ o ho ht₁ ht₂ hs₁ hs₂ hap₁ hap₂ (meet_of_B hmB))

/-! ## Callers and clients from the index -/

/-- A listed caller of `o`'s server is in the index under its badge, when `coversCallers` holds. -/
theorem sid_mem_callers {I : CallerIndex} {G : Groups Slot} {o : SObj} {e : Cap}
    (h : coversCallers I G = true) (he : e ∈ capsOf G) (hc : callerB o e = true) :
    e.holder.sid ∈ (I.at o.server.abs).callers.listAt e.badge := by
  have ⟨ht, hs, hap⟩ := caller_of_B hc
  unfold capsOf at he
  obtain ⟨g, hg, hm⟩ := List.mem_flatMap.mp he
  obtain ⟨s, hs', rfl⟩ := List.mem_map.mp hm
  have h1 := of_all (of_all h hg) hs'
  simp only [Slot.cap] at ht hs hap ⊢
  have h2 : (!(decide (ObjKind.endpoint = .endpoint) && (memB Right.send s.rights && apartB g.1 o.server.abs)) ||
      memB g.1.sid ((I.at o.server.abs).callers.listAt s.badge)) = true := by
    unfold callerIn at h1
    rw [ht] at h1
    exact h1
  exact mem_of_memB (imp_true h2 (both_true (decide_eq_true rfl) (both_true (memB_of_mem hs) (apartB_of hap))))

/-- A declared client of `o`'s server is in the index under its badge, when `coversClients` holds. -/
theorem sid_mem_clients {I : CallerIndex} {cs : List Client} {o : SObj} {d : Client}
    (h : coversClients I cs = true) (hd : d ∈ cs) (hds : d.server = o.server) :
    d.sid ∈ (I.at o.server.abs).clients.listAt d.badge := by
  have h1 := mem_of_memB (of_all h hd)
  rw [hds] at h1
  exact h1

/-- A badge the index calls declared is declared, when `declaredIn` holds. -/
theorem declared_of_index {I : CallerIndex} {D : List Nat} {b : Nat} (h : declaredIn I D = true)
    (hb : (I.declared.find? b).isSome = true) : b ∈ D := by
  cases hf : I.declared.find? b with
  | none => rw [hf] at hb; cases hb
  | some u => exact mem_of_memB (KTree.all_find? (p := fun b _ => memB b D) h hf)

/-- `callersByIndex` at every object is sound, given an index listing every caller. -/
theorem callersDistinct_of_index {I : CallerIndex} (hI : coversCallers I cert.capGroups = true)
    (h : sys.objects.all (callersByIndex sys I) = true) : CertCallersDistinct sys cert := by
  intro e₁ e₂ h₁ h₂ o ho ht₁ ht₂ hs₁ hs₂ hap₁ hap₂ hm op hp
  have hc := of_all h ho
  unfold callersByIndex at hc
  simp only [Bool.and_eq_true] at hc
  have m₁ := sid_mem_callers hI h₁ (callerB_of ht₁ hs₁ hap₁)
  have m₂ := sid_mem_callers hI h₂ (callerB_of ht₂ hs₂ hap₂)
  suffices hw : (eqB e₁.holder.sid e₂.holder.sid ||
      sys.policy.allowsAllOf e₁.holder.sid e₂.holder.sid o.sid o.cls) = true by
    cases hsid : eqB e₁.holder.sid e₂.holder.sid with
    | true => rw [← eq_of_eqB hsid]; exact hp
    | false =>
      rw [hsid, Bool.false_or] at hw
      exact Policy.allowsAllOf_iff.mp hw op hp
  obtain ⟨S₁, hf₁, hx₁⟩ := KTree.mem_listAt m₁
  obtain ⟨S₂, hf₂, hx₂⟩ := KTree.mem_listAt m₂
  rcases hm with hb | hb | hb
  · rw [hb, hf₂] at hf₁
    cases hf₁
    exact of_all (of_all (KTree.all_find? hc.1 hf₂) hx₁) hx₂
  · rw [hb] at m₁
    exact and_true_left (of_all (KTree.all_find? (of_all hc.2 m₁) hf₂) hx₂)
  · rw [hb] at m₂
    exact and_true_right (of_all (KTree.all_find? (of_all hc.2 m₂) hf₁) hx₁)

/-- `checkCallersDistinct` from the index: what an instance module proves, object by object. -/
theorem checkCallersDistinct_of_index {I : CallerIndex} (hI : checkIndex sys cert I = true)
    (h : sys.objects.all (callersByIndex sys I) = true) : checkCallersDistinct sys cert = true :=
  checkCallersDistinct_complete (callersDistinct_of_index (and_true_left hI) h)

/-- `noBorrowByIndex` at every object is sound, given an index listing every caller and every
declared client, and only declared badges as declared. -/
theorem noBorrow_of_index {I : CallerIndex} (hI : checkIndex sys cert I = true)
    (h : sys.objects.all (noBorrowByIndex sys I) = true) : CertNoBorrow sys cert := by
  intro e he o ho ht hs hap d hd hds hb op hp
  have m := sid_mem_callers (and_true_left hI) he (callerB_of ht hs hap)
  have mc := sid_mem_clients (and_true_left (and_true_right hI)) hd hds
  have hn := of_all h ho
  unfold noBorrowByIndex at hn
  obtain ⟨C, hfC, hxC⟩ := KTree.mem_listAt mc
  have hc := of_all (KTree.all_find? hn hfC) hxC
  suffices hw : (eqB d.sid e.holder.sid || sys.policy.allowsAllOf d.sid e.holder.sid o.sid o.cls) = true by
    cases hsid : eqB d.sid e.holder.sid with
    | true => rw [← eq_of_eqB hsid]; exact hp
    | false =>
      rw [hsid, Bool.false_or] at hw
      exact Policy.allowsAllOf_iff.mp hw op hp
  have hcv := badgeCoversB_of hb
  unfold badgeCoversB coversB at hcv
  rcases true_of_or hcv with h1 | h2
  · rw [eq_of_eqB h1] at m
    exact of_all (and_true_left hc) m
  · rcases true_of_or h2 with h3 | h4
    · rw [eq_of_eqB h3] at m
      exact of_all (and_true_left (and_true_right hc)) m
    · have h5 := false_of_not_true (and_true_left h4)
      have h6 := false_of_not_true (and_true_right h4)
      have h7 := and_true_right (and_true_right hc)
      rw [h5, Bool.false_or] at h7
      rcases true_of_or h7 with h8 | h9
      · rw [memB_of_mem (declared_of_index (and_true_left (and_true_right (and_true_right hI))) h8)] at h6
        cases h6
      · obtain ⟨S, hf, hx⟩ := KTree.mem_listAt m
        exact of_all (KTree.all_find? h9 hf) hx

/-- `checkNoBorrow` from the index: what an instance module proves, object by object. -/
theorem checkNoBorrow_of_index {I : CallerIndex} (hI : checkIndex sys cert I = true)
    (h : sys.objects.all (noBorrowByIndex sys I) = true) : checkNoBorrow sys cert = true :=
  checkNoBorrow_complete (noBorrow_of_index hI h)

/-- `checkOpen` from the index: every object's `openAt` follows from the one pass of
`opensByIndex`, since the index lists each object under its server and each permitted open. -/
theorem checkOpen_of_index {I : CallerIndex} (hI : checkIndex sys cert I = true)
    (h : opensByIndex I cert.capGroups cert.handleGroups = true) : checkOpen sys cert = true := by
  have hrest := and_true_right (and_true_right (and_true_right hI))
  refine List.all_eq_true.mpr fun o hob => ?_
  unfold openAt
  dsimp only
  refine allPairs_mono (fun g hg hf => ?_) h
  refine both_true (and_true_left hf) (List.all_eq_true.mpr fun s hs => imp_intro fun hc => ?_)
  have ht : s.target = .own o.server.abs .endpoint := of_decide_eq_true (and_true_left hc)
  have hb := of_all (and_true_right hf) hs
  have h2 : (!(decide (ObjKind.endpoint = .endpoint) && memB Right.send s.rights) ||
      (I.at o.server.abs).objects.all fun o => (I.opsAt o g.1.sid).all fun op =>
        memB (Held.mk o op) hg.2) = true := by
    rw [ht] at hb
    exact hb
  have hops := of_all (imp_true h2 (both_true (decide_eq_true rfl) (and_true_right hc)))
    (mem_of_memB (of_all (and_true_left hrest) hob))
  refine List.all_eq_true.mpr fun d hdP => imp_intro fun hsub => ?_
  have ⟨hdd, hcond⟩ := List.mem_filter.mp hdP
  have hop := imp_true (of_all (of_all (and_true_right hrest) hob) hdd) hcond
  rw [eq_of_eqB hsub] at hop
  exact of_all hops (mem_of_memB hop)

/-- A certificate in which no two callers that may share a badge are treated differently shows
the same of every state whose caps it lists with badges some `φ` names (`BadgeBy`: so by
`badgeBy_of_kreachable` and `badgeBy_of_reachable`): two caps of one badge to one endpoint are
listed with badges that meet. -/
theorem callersDistinct_of_caps {s : State} {φ : Target → Nat → Nat}
    (hcaps : ∀ e, e ∈ s.caps → CertHasBy (BadgeBy φ) cert e)
    (hc : CertCallersDistinct sys cert) : CallersDistinct sys s := by
  intro e₁ e₂ h₁ h₂ o ho ht₁ ht₂ hs₁ hs₂ hn₁ hn₂ hb op hp
  obtain ⟨rs₁, b₁, m₁, sub₁, hk₁⟩ := (hcaps e₁ h₁).elim
  obtain ⟨rs₂, b₂, m₂, sub₂, hk₂⟩ := (hcaps e₂ h₂).elim
  have ht₁' : e₁.target.abs = .own o.server.abs .endpoint := by
    rw [ht₁]
    rfl
  have ht₂' : e₂.target.abs = .own o.server.abs .endpoint := by
    rw [ht₂]
    rfl
  have hm : BadgesMeet b₁ b₂ := by
    unfold BadgeBy at hk₁ hk₂
    unfold BadgesMeet
    rw [ht₁] at hk₁
    rw [ht₂] at hk₂
    rcases hk₁ with he₁ | ⟨z₁, _⟩
    · rcases hk₂ with he₂ | ⟨z₂, _⟩
      · rw [he₁, he₂, hb]
        exact Or.inl rfl
      · exact Or.inr (Or.inr z₂)
    · exact Or.inr (Or.inl z₁)
  have hr : Perm.mk e₂.holder.abs.sid o.sid o.cls op ∈ sys.policy.allow :=
    hc _ _ m₁ m₂ o ho ht₁' ht₂' (sub₁ _ hs₁) (sub₂ _ hs₂) (apart_abs hn₁) (apart_abs hn₂) hm op hp
  exact hr

/-- `checkServersConnected` is sound: every object's server is a policy server or holds send on
a policy server's endpoint. -/
theorem checkServersConnected_sound (h : checkServersConnected sys = true) :
    ServersConnected sys := by
  intro o ho
  cases true_of_or (of_all h ho) with
  | inl hp => exact Or.inl (of_decide_eq_true hp)
  | inr hs =>
    have ⟨p, hp, hps⟩ := List.any_eq_true.mp hs
    exact Or.inr ⟨p, hp, of_decide_eq_true (and_true_left hps), sendsTo_sound (and_true_right hps)⟩

/-- `checkServersConnectedAll` is sound. -/
theorem checkServersConnectedAll_sound (h : checkServersConnectedAll sys = true) :
    ServersConnected sys := by
  intro o ho
  cases true_of_or (of_all h ho) with
  | inl hp => exact Or.inl (of_decide_eq_true hp)
  | inr hc =>
    have ⟨e, he, hh⟩ := List.mem_map.mp (mem_of_memB hc)
    have ⟨hA, hm⟩ := List.mem_filter.mp he
    have ⟨p, hp, hpt⟩ := List.any_eq_true.mp (and_true_right hm)
    have ⟨hpc, hpp⟩ := List.mem_filter.mp hp
    exact Or.inr ⟨p, hpc, of_decide_eq_true hpp,
      e, hA, hh, of_decide_eq_true hpt, mem_of_memB (and_true_left hm)⟩

/-! ## The properties -/

/-- **P1 is sound**: a certificate accepted by `checkCompleteMediation` proves complete
mediation. -/
theorem complete_mediation_of_check (sys : Sys) (cert : Certificate)
    (h : checkCompleteMediation sys cert = true) : CompleteMediation sys := by
  have hk := kernelClosed_of_check (and_true_left h)
  have hi := listsInitial_of_check (and_true_left (and_true_left h))
  have hconn := checkServersConnected_sound (and_true_left (and_true_right h))
  have hpriv := and_true_left (and_true_right (and_true_right h))
  have hdist := checkCallersDistinct_sound (and_true_right (and_true_right (and_true_right h)))
  unfold CompleteMediation
  refine ⟨hconn, ?_, ?_, fun _ hs => mediated_of_reachable hs⟩
  · intro s hs o ho
    have ⟨hns, hu⟩ := checkUntampered_sound (of_all hpriv ho)
    exact untampered_of_covers (covers_of_kreachable hk hs) hns hu
  · intro s hs
    exact callersDistinct_of_caps (badgeBy_of_kreachable hi hk hs) hdist

/-- **P2 is sound**: a certificate accepted by `checkTamperProof` proves tamper-proofness. -/
theorem tamper_proof_of_check (sys : Sys) (cert : Certificate)
    (h : checkTamperProof sys cert = true) : TamperProof sys := by
  have hk := kernelClosed_of_check (and_true_left h)
  intro s hs
  exact relied_of_check (and_true_right h) (covers_of_kreachable hk hs)

/-- **P3 is sound**: a certificate accepted by `checkAuthorityConformance` proves authority
conformance. -/
theorem authority_conformance_of_check (sys : Sys) (cert : Certificate)
    (h : checkAuthorityConformance sys cert = true) : AuthorityConformance sys := by
  have hk := kernelClosed_of_check (and_true_left h)
  have hc := checkConforms_sound (and_true_left (and_true_right h))
  have hb := checkNoBorrow_sound (and_true_right (and_true_right h))
  intro s hs
  have hcov := covers_of_kreachable hk hs
  exact ⟨conforms_of_covers hcov hc, noBorrow_of_covers hcov hb⟩

/-! ## Completeness: closed certificates are accepted -/

/-- `checkInit` is complete: a certificate listing the initial state exactly is accepted. -/
theorem checkInit_complete (h : ListsInitial sys cert) : checkInit sys cert = true := by
  unfold ListsInitial at h
  unfold checkInit
  exact both_true (or_of_true (Or.inr (List.all_eq_true.mpr fun c hc => memB_of_mem (h.1 c hc))))
    (both_true (or_of_true (Or.inr (List.all_eq_true.mpr fun e he => memB_of_mem (h.2.1 e he))))
      (List.all_eq_true.mpr fun x hx => memB_of_mem (h.2.2 x hx)))

/-- `checkGrant` is complete: groups closed under `KStep.grant` are accepted. -/
theorem checkGrant_complete {G : Groups Slot}
    (h : ∀ {snd rcv : Component} {ep t : Target} {rs rr r : List Right} {bs br b : Nat},
      Cap.mk snd ep rs bs ∈ capsOf G → Right.send ∈ rs → Right.grant ∈ rs →
      Cap.mk rcv ep rr br ∈ capsOf G → Right.receive ∈ rr →
      Cap.mk snd t r b ∈ capsOf G → Cap.mk rcv t r b ∈ capsOf G) : checkGrant G = true := by
  refine byGroups_complete (List.all_eq_true.mpr fun g hg => List.all_eq_true.mpr fun s hs =>
    imp_intro fun hsg => List.all_eq_true.mpr fun v hv => imp_intro fun ht => includedB_of fun x hx => ?_)
  obtain ⟨hgv, sr, hsr, hst, hp⟩ := mem_pickedBy.mp hv
  have ht : v.1 = s.target := of_decide_eq_true ht
  have hr : Cap.mk v.2.1 s.target sr.rights sr.badge ∈ capsOf G := by
    rw [← ht, ← hst]; exact mem_capsOf.mpr ⟨v.2, hgv, sr, hsr, rfl⟩
  exact mem_slotsOf.mpr (h (snd := g.1) (t := x.target) (r := x.rights) (b := x.badge)
    (mem_capsOf.mpr ⟨g, hg, s, hs, rfl⟩) (mem_of_memB (and_true_left hsg))
    (mem_of_memB (and_true_right hsg)) hr (mem_of_memB hp) (mem_slotsOf.mp hx))

/-- `checkReply` is complete: groups closed under `KStep.reply` are accepted. -/
theorem checkReply_complete {G : Groups Slot}
    (h : ∀ {clt srv : Component} {ep t : Target} {rc rv r : List Right} {bc bv b : Nat},
      Cap.mk clt ep rc bc ∈ capsOf G → Right.send ∈ rc → (Right.grant ∈ rc ∨ Right.grantReply ∈ rc) →
      Cap.mk srv ep rv bv ∈ capsOf G → Right.receive ∈ rv → Right.grant ∈ rv →
      Cap.mk srv t r b ∈ capsOf G → Cap.mk clt t r b ∈ capsOf G) : checkReply G = true := by
  refine byGroups_complete (List.all_eq_true.mpr fun g hg => List.all_eq_true.mpr fun s hs =>
    imp_intro fun hsg => List.all_eq_true.mpr fun v hv => imp_intro fun ht => includedB_of fun x hx => ?_)
  obtain ⟨hgv, sr, hsr, hst, hp⟩ := mem_pickedBy.mp hv
  have ht : v.1 = s.target := of_decide_eq_true ht
  have hr : Cap.mk v.2.1 s.target sr.rights sr.badge ∈ capsOf G := by
    rw [← ht, ← hst]; exact mem_capsOf.mpr ⟨v.2, hgv, sr, hsr, rfl⟩
  exact mem_slotsOf.mpr (h (clt := g.1) (t := x.target) (r := x.rights) (b := x.badge)
    (mem_capsOf.mpr ⟨g, hg, s, hs, rfl⟩) (mem_of_memB (and_true_left hsg))
    (mem_or_of_memB (and_true_right hsg)) hr (mem_of_memB (and_true_left hp))
    (mem_of_memB (and_true_right hp)) (mem_slotsOf.mp hx))

/-- `checkCNode` is complete: groups closed under `KStep.copyOut` and `KStep.copyIn` are
accepted. -/
theorem checkCNode_complete {G : Groups Slot}
    (hout : ∀ {a x : Component} {t : Target} {ra r : List Right} {ba b : Nat},
      Cap.mk a (.own x .cnode) ra ba ∈ capsOf G → Right.control ∈ ra →
      Cap.mk x t r b ∈ capsOf G → Cap.mk a t r b ∈ capsOf G)
    (hin : ∀ {a x : Component} {t : Target} {ra r : List Right} {ba b : Nat},
      Cap.mk a (.own x .cnode) ra ba ∈ capsOf G → Right.control ∈ ra →
      Cap.mk a t r b ∈ capsOf G → Cap.mk x t r b ∈ capsOf G) :
    checkCNode G = true := by
  unfold checkCNode
  refine allSlots_of fun a tg ra ba hg => ?_
  show cnodeClosedAt G (Cap.mk a tg ra ba) = true
  cases tg with
  | chan _ _ _ => rfl
  | own x k =>
    rw [cnodeClosedAt_own]
    refine imp_intro fun hk => ?_
    have hk' : k = .cnode := of_decide_eq_true (and_true_left hk)
    have hctl := mem_of_memB (and_true_right hk)
    subst hk'
    exact both_true (includedB_of fun s hs => mem_slotsOf.mpr (hout hg hctl (mem_slotsOf.mp hs)))
      (includedB_of fun s hs => mem_slotsOf.mpr (hin hg hctl (mem_slotsOf.mp hs)))

/-- `checkDerived` is complete: a cap list closed under `KStep.tcbCNode`, `KStep.tcbVSpace` and
`KStep.vspaceFrames` is accepted. -/
theorem checkDerived_complete {G : Groups Slot}
    (hcn : ∀ {a x : Component} {ra : List Right} {ba : Nat},
      Cap.mk a (.own x .tcb) ra ba ∈ capsOf G → Right.control ∈ ra →
      Cap.mk a (.own x .cnode) [Right.control] 0 ∈ capsOf G)
    (hvs : ∀ {a x : Component} {ra : List Right} {ba : Nat},
      Cap.mk a (.own x .tcb) ra ba ∈ capsOf G → Right.control ∈ ra →
      Cap.mk a (.own x .vspace) [Right.control] 0 ∈ capsOf G)
    (hfr : ∀ {a x : Component} {ra : List Right} {ba : Nat},
      Cap.mk a (.own x .vspace) ra ba ∈ capsOf G → Right.control ∈ ra →
      Cap.mk a (.own x .frames) memoryRights 0 ∈ capsOf G) :
    checkDerived G = true := by
  unfold checkDerived
  refine allSlots_of fun a tg ra ba hg => ?_
  show derivedAt (capsOf G) (Cap.mk a tg ra ba) = true
  cases tg with
  | chan _ _ _ => rfl
  | own x k =>
    rw [derivedAt_own]
    refine imp_intro fun hc => both_true (imp_intro fun hk => ?_) (imp_intro fun hk => ?_)
    · have hk' : k = .tcb := of_decide_eq_true hk
      subst hk'
      have hctl := mem_of_memB hc
      exact both_true (memB_of_mem (hcn hg hctl)) (memB_of_mem (hvs hg hctl))
    · have hk' : k = .vspace := of_decide_eq_true hk
      subst hk'
      exact memB_of_mem (hfr hg (mem_of_memB hc))

/-- `checkUntyped` is complete: a cap list closed under `KStep.untypedCover` is accepted. -/
theorem checkUntyped_complete {covers : List (Target × Target)} {A : List Cap}
    (h : ∀ {a : Component} {u t : Target} {ra : List Right} {ba : Nat},
      (u, t) ∈ covers → Cap.mk a u.abs ra ba ∈ A → Right.control ∈ ra →
      Cap.mk a t.abs (kindRights t.kind) 0 ∈ A) :
    checkUntyped covers A = true := by
  unfold checkUntyped
  refine List.all_eq_true.mpr fun ut hut => List.all_eq_true.mpr fun g hg =>
    imp_intro fun hc => memB_of_mem ?_
  have ht : g.target = ut.1.abs := of_decide_eq_true (and_true_left hc)
  have hut' : (ut.1, ut.2) ∈ covers := hut
  have hg' : Cap.mk g.holder ut.1.abs g.rights g.badge ∈ A := by rw [← ht]; exact hg
  exact h hut' hg' (mem_of_memB (and_true_right hc))

/-- **`checkKernelClosed` is complete**: a certificate that lists the initial state and is closed
under every kernel rule is accepted (with `kernelClosed_of_check`: it decides exactly that, for
certificates listing the initial state). -/
theorem checkKernelClosed_complete (hi : ListsInitial sys cert) (hk : KernelClosed sys cert) :
    checkKernelClosed sys cert = true := by
  unfold checkKernelClosed
  exact both_true (checkInit_complete hi)
    (both_true (checkGrant_complete hk.grant)
      (both_true (checkReply_complete hk.reply)
        (both_true (checkCNode_complete hk.copyOut hk.copyIn)
          (both_true (checkDerived_complete hk.tcbCNode hk.tcbVSpace hk.vspaceFrames)
            (checkUntyped_complete hk.untypedCover)))))

/-- `checkPrivate` is complete: an initial component private in the certificate is accepted. -/
theorem checkPrivate_complete {c : Component} (hns : c.spawned = false)
    (hp : CertPrivate cert c) : checkPrivate cert c = true := by
  unfold checkPrivate
  exact both_true (not_of_false hns) (List.all_eq_true.mpr fun e he =>
    List.all_eq_true.mpr fun k hk => imp_intro fun ht => decide_eq_true (hp e he k hk (of_decide_eq_true ht)))

/-- `checkConforms` is complete: a certificate whose caps and handles the policy permits is accepted. -/
theorem checkConforms_complete (h : CertConforms sys cert) : checkConforms sys cert = true := by
  unfold CertConforms at h
  unfold checkConforms conformsCaps conformsHandles
  refine both_true
    (List.all_eq_true.mpr fun g hg => List.all_eq_true.mpr fun s hs => List.all_eq_true.mpr fun r hr => ?_)
    (List.all_eq_true.mpr fun g hg => List.all_eq_true.mpr fun y hy => ?_)
  · have h1 : sys.policy.kernelAllow.has ⟨g.1.sid, s.target.sid, s.target.kind, r⟩ = true :=
      h.1 (Slot.cap g.1 s) (List.mem_flatMap.mpr ⟨g, hg, List.mem_map.mpr ⟨s, hs, rfl⟩⟩) r hr
    rw [← KPermSet.has_only] at h1
    exact h1
  · have h1 : sys.policy.allow.has ⟨g.1.sid, y.obj.sid, y.obj.cls, y.op⟩ = true :=
      h.2 (Held.handle g.1 y) (List.mem_flatMap.mpr ⟨g, hg, List.mem_map.mpr ⟨y, hy, rfl⟩⟩)
    rw [← PermSet.has_only] at h1
    exact h1

/-- `sendsTo` is complete: a listed cap with send to the endpoint is found. -/
theorem sendsTo_complete {A : List Cap} {c v : Component}
    (h : ∃ e, e ∈ A ∧ e.holder = c ∧ e.target = .own v .endpoint ∧ Right.send ∈ e.rights) :
    sendsTo A c v = true := by
  obtain ⟨e, he, hh, ht, hs⟩ := h
  unfold sendsTo
  exact List.any_eq_true.mpr
    ⟨e, he, both_true (decide_eq_true hh) (both_true (decide_eq_true ht) (memB_of_mem hs))⟩

/-- `checkServersConnected` is complete: if every object's server is a policy server or holds
send on a policy server's endpoint, the check passes. -/
theorem checkServersConnected_complete (h : ServersConnected sys) :
    checkServersConnected sys = true := by
  unfold checkServersConnected
  refine List.all_eq_true.mpr fun o ho => or_of_true ?_
  cases h o ho with
  | inl hp => exact Or.inl (decide_eq_true hp)
  | inr hs =>
    obtain ⟨p, hp, hpp, hsend⟩ := hs
    exact Or.inr (List.any_eq_true.mpr ⟨p, hp, both_true (decide_eq_true hpp) (sendsTo_complete hsend)⟩)

/-- `checkServersConnectedAll` is complete. -/
theorem checkServersConnectedAll_complete (h : ServersConnected sys) :
    checkServersConnectedAll sys = true := by
  unfold checkServersConnectedAll
  refine List.all_eq_true.mpr fun o ho => or_of_true ?_
  cases h o ho with
  | inl hp => exact Or.inl (decide_eq_true hp)
  | inr hs =>
    obtain ⟨p, hp, hpp, e, he, hh, ht, hsend⟩ := hs
    have hpol : isPolicy p = true := decide_eq_true hpp
    exact Or.inr (memB_of_mem (List.mem_map.mpr ⟨e, List.mem_filter.mpr ⟨he, both_true (memB_of_mem hsend)
      (List.any_eq_true.mpr ⟨p, List.mem_filter.mpr ⟨hp, hpol⟩, decide_eq_true ht⟩)⟩, hh⟩))

/-- `checkUntampered` is complete: an initial component the certificate shows untampered is
accepted. -/
theorem checkUntampered_complete {c : Component} (hns : c.spawned = false)
    (hu : CertUntampered cert c) : checkUntampered cert c = true := by
  unfold checkUntampered
  exact both_true (checkPrivate_complete hns hu.1) (List.all_eq_true.mpr fun e he =>
    imp_intro fun hx => decide_eq_true (hu.2 e he (of_decide_eq_true (and_true_left hx))
      (mem_of_memB (and_true_right hx))))

/-- `checkUntamperedAll` is complete: a list of components the certificate shows initial and
untampered is accepted. -/
theorem checkUntamperedAll_complete {cs : List Component}
    (h : ∀ c, c ∈ cs → c.spawned = false ∧ CertUntampered cert c) :
    checkUntamperedAll cert cs = true := by
  unfold checkUntamperedAll
  refine both_true (List.all_eq_true.mpr fun c hc => not_of_false (h c hc).1)
    (List.all_eq_true.mpr fun e he => ?_)
  unfold untamperedCapB
  split
  · next c k ht =>
    refine imp_intro fun hg => or_of_true ?_
    cases hm : memB c cs with
    | false => exact Or.inr rfl
    | true =>
      have hu := (h c (mem_of_memB hm)).2
      refine Or.inl (decide_eq_true ?_)
      cases true_of_or hg with
      | inl hk => exact hu.1 e he k (mem_of_memB hk) ht
      | inr hr =>
        have hk : k = .endpoint := of_decide_eq_true (and_true_left hr)
        subst hk
        exact hu.2 e he ht (mem_of_memB (and_true_right hr))
  · rfl

/-- `checkRelied` is complete: a certificate that shows every component the verdict relies on
initial and untampered is accepted. -/
theorem checkRelied_complete
    (hr : ∀ c, Relied sys c → c.spawned = false ∧ CertUntampered cert c) :
    checkRelied sys cert = true := by
  unfold checkRelied
  refine List.all_eq_true.mpr fun c hc => imp_intro fun hsel => ?_
  have hwhy : c.role = .policy ∨ ∃ r, r ∈ sys.policy.trust ∧ r.subject = c.sid := by
    cases true_of_or hsel with
    | inl hp => exact Or.inl (of_decide_eq_true hp)
    | inr ht =>
      have ⟨r, hm, hs⟩ := List.any_eq_true.mp ht
      exact Or.inr ⟨r, hm, of_decide_eq_true hs⟩
  have hc' := hr c ⟨hc, hwhy⟩
  exact checkUntampered_complete hc'.1 hc'.2

/-- **P1's checker is complete** for closed certificates: a certificate that lists the initial
state, is closed under the kernel rules, keeps every object server untampered and in which no
two callers that may share a badge are treated differently is accepted when every server is
connected to the policy server. -/
theorem checkCompleteMediation_complete (hi : ListsInitial sys cert) (hk : KernelClosed sys cert)
    (hconn : ServersConnected sys)
    (hpriv : ∀ o, o ∈ sys.objects → o.server.spawned = false ∧ CertUntampered cert o.server)
    (hdist : CertCallersDistinct sys cert) :
    checkCompleteMediation sys cert = true := by
  unfold checkCompleteMediation
  exact both_true (checkKernelClosed_complete hi hk) (both_true (checkServersConnected_complete hconn)
    (both_true (List.all_eq_true.mpr fun o ho => checkUntampered_complete (hpriv o ho).1 (hpriv o ho).2)
      (checkCallersDistinct_complete hdist)))

/-- **P2's checker is complete** for closed certificates: a certificate that lists the initial
state, is closed under the kernel rules and shows every component the verdict relies on initial
and untampered is accepted. -/
theorem checkTamperProof_complete (hi : ListsInitial sys cert) (hk : KernelClosed sys cert)
    (hr : ∀ c, Relied sys c → c.spawned = false ∧ CertUntampered cert c) :
    checkTamperProof sys cert = true := by
  unfold checkTamperProof
  exact both_true (checkKernelClosed_complete hi hk) (checkRelied_complete hr)

/-- **P3's checker is complete** for closed certificates: a certificate that lists the initial
state, is closed under the kernel rules, that the policy permits and in which no caller borrows
an identity that opens more is accepted. -/
theorem checkAuthorityConformance_complete (hi : ListsInitial sys cert)
    (hk : KernelClosed sys cert) (hc : CertConforms sys cert) (hb : CertNoBorrow sys cert) :
    checkAuthorityConformance sys cert = true := by
  unfold checkAuthorityConformance
  exact both_true (checkKernelClosed_complete hi hk)
    (both_true (checkConforms_complete hc) (checkNoBorrow_complete hb))

end SMOS
