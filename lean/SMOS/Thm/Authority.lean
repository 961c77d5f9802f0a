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

theorem checkInit_sound (h : checkInit sys cert = true) : Covers cert sys.initial := by
  constructor
  · intro c hc
    exact mem_of_memB (of_all (and_true_left h) hc)
  · intro e he
    exact mem_of_memB (of_all (and_true_left (and_true_right h)) he)
  · intro x hx
    exact mem_of_memB (of_all (and_true_right (and_true_right h)) hx)

theorem checkGrant_sound {A : List Edge} (h : checkGrant A = true) :
    ∀ {snd rcv : Component} {ep t : Target} {r : Right},
      Edge.mk snd ep .send ∈ A → Edge.mk snd ep .grant ∈ A →
      Edge.mk rcv ep .receive ∈ A → Edge.mk snd t r ∈ A → Edge.mk rcv t r ∈ A := by
  intro snd rcv ep t r hs hg hr hc
  have h1 := imp2_true (of_all h hg) (decide_eq_true rfl) (memB_of_mem hs)
  have h2 := imp2_true (of_all h1 hr) (decide_eq_true rfl) (decide_eq_true rfl)
  exact mem_of_memB (imp_true (of_all h2 hc) (decide_eq_true rfl))

theorem checkReply_sound {A : List Edge} (h : checkReply A = true) :
    ∀ {clt srv : Component} {ep t : Target} {r : Right},
      Edge.mk clt ep .send ∈ A → Edge.mk clt ep .grantReply ∈ A →
      Edge.mk srv ep .receive ∈ A → Edge.mk srv ep .grant ∈ A →
      Edge.mk srv t r ∈ A → Edge.mk clt t r ∈ A := by
  intro clt srv ep t r hs hg hr hsg hc
  have h1 := imp2_true (of_all h hg) (decide_eq_true rfl) (memB_of_mem hs)
  have h2 := imp2_true (of_all h1 hr) (decide_eq_true rfl) (decide_eq_true rfl)
  have h3 := imp_true h2 (memB_of_mem hsg)
  exact mem_of_memB (imp_true (of_all h3 hc) (decide_eq_true rfl))

theorem cnodeClosedAt_own (A : List Edge) (a b : Component) (k : ObjKind) (r : Right) :
    cnodeClosedAt A (Edge.mk a (.own b k) r) =
      (!(decide (r = .control) && decide (k = .cnode)) ||
        A.all fun c =>
          (!decide (c.holder = b) || memB (Edge.mk a c.target c.right) A) &&
          (!decide (c.holder = a) || memB (Edge.mk b c.target c.right) A)) := rfl

theorem checkCNode_sound {A : List Edge} (h : checkCNode A = true) {a b : Component}
    (hg : Edge.mk a (.own b .cnode) .control ∈ A) :
    (∀ {t : Target} {r : Right}, Edge.mk b t r ∈ A → Edge.mk a t r ∈ A) ∧
    (∀ {t : Target} {r : Right}, Edge.mk a t r ∈ A → Edge.mk b t r ∈ A) := by
  have h1 := of_all h hg
  rw [cnodeClosedAt_own] at h1
  have h2 := imp2_true h1 (decide_eq_true rfl) (decide_eq_true rfl)
  constructor
  · intro t r hc
    exact mem_of_memB (imp_true (and_true_left (of_all h2 hc)) (decide_eq_true rfl))
  · intro t r hc
    exact mem_of_memB (imp_true (and_true_right (of_all h2 hc)) (decide_eq_true rfl))

theorem tcbClosedAt_own (A : List Edge) (a b : Component) (k : ObjKind) (r : Right) :
    tcbClosedAt A (Edge.mk a (.own b k) r) =
      (!(decide (r = .control) && decide (k = .tcb)) ||
        (memB (Edge.mk a (.own b .cnode) .control) A &&
         memB (Edge.mk a (.own b .vspace) .control) A)) := rfl

theorem checkTcb_sound {A : List Edge} (h : checkTcb A = true) {a b : Component}
    (hg : Edge.mk a (.own b .tcb) .control ∈ A) :
    Edge.mk a (.own b .cnode) .control ∈ A ∧ Edge.mk a (.own b .vspace) .control ∈ A := by
  have h1 := of_all h hg
  rw [tcbClosedAt_own] at h1
  have h2 := imp2_true h1 (decide_eq_true rfl) (decide_eq_true rfl)
  exact ⟨mem_of_memB (and_true_left h2), mem_of_memB (and_true_right h2)⟩

/-- `checkKernelClosed` is sound. -/
theorem kernelClosed_of_check (h : checkKernelClosed sys cert = true) :
    KernelClosed sys cert := by
  have hinit := and_true_left h
  have hgrant := and_true_left (and_true_right h)
  have hreply := and_true_left (and_true_right (and_true_right h))
  have hcnode := and_true_left (and_true_right (and_true_right (and_true_right h)))
  have htcb := and_true_right (and_true_right (and_true_right (and_true_right h)))
  exact {
    init := checkInit_sound hinit,
    grant := checkGrant_sound hgrant,
    reply := checkReply_sound hreply,
    copyOut := fun hg hc => (checkCNode_sound hcnode hg).1 hc,
    copyIn := fun hg hc => (checkCNode_sound hcnode hg).2 hc,
    tcb := fun hg => checkTcb_sound htcb hg }

theorem checkSpawn_sound (h : checkSpawn sys cert = true) {p : Component} {rule : SpawnRule}
    (hp : p ∈ cert.comps) (hr : rule ∈ sys.policy.spawn) (hpar : rule.parent = p.sid) :
    summary rule.child rule.role ∈ cert.comps ∧
    Edge.mk p (.own (summary rule.child rule.role) .tcb) .control ∈ cert.caps ∧
    Edge.mk p (.own (summary rule.child rule.role) .cnode) .control ∈ cert.caps ∧
    Edge.mk p (.own (summary rule.child rule.role) .vspace) .control ∈ cert.caps := by
  have h1 := imp_true (of_all (of_all h hp) hr) (decide_eq_true hpar)
  exact ⟨mem_of_memB (and_true_left h1),
    mem_of_memB (and_true_left (and_true_right h1)),
    mem_of_memB (and_true_left (and_true_right (and_true_right h1))),
    mem_of_memB (and_true_right (and_true_right (and_true_right h1)))⟩

theorem checkConnect_sound (h : checkConnect sys cert = true) {c v : Component}
    {rule : ConnectRule} (hc : c ∈ cert.comps) (hv : v ∈ cert.comps)
    (hr : rule ∈ sys.policy.connect) (hcs : rule.client = c.sid) (hvs : rule.server = v.sid) :
    Edge.mk c (.own v .endpoint) .send ∈ cert.caps :=
  mem_of_memB (imp2_true (of_all (of_all (of_all h hc) hv) hr)
    (decide_eq_true hcs) (decide_eq_true hvs))

theorem checkOpen_sound (h : checkOpen sys cert = true) {c : Component} {o : SObj}
    {op : OpId} (ho : o ∈ sys.objects)
    (he : Edge.mk c (.own o.server.abs .endpoint) .send ∈ cert.caps)
    (hp : Perm.mk c.sid o.sid o.cls op ∈ sys.policy.allow) : Handle.mk c o op ∈ cert.handles := by
  have h1 := imp2_true (of_all (of_all h ho) he) (decide_eq_true rfl) (decide_eq_true rfl)
  exact mem_of_memB (imp3_true (of_all h1 hp)
    (decide_eq_true rfl) (decide_eq_true rfl) (decide_eq_true rfl))

theorem checkPass_sound (h : checkPass sys cert = true) {x : Handle} {r : Component}
    {rule : PassRule} (hx : x ∈ cert.handles) (hr : r ∈ cert.comps)
    (hrule : rule ∈ sys.policy.pass) (h1 : rule.sender = x.holder.sid)
    (h2 : rule.receiver = r.sid) (h3 : rule.cls = x.obj.cls) :
    Handle.mk r x.obj x.op ∈ cert.handles :=
  mem_of_memB (imp3_true (of_all (of_all (of_all h hx) hr) hrule)
    (decide_eq_true h1) (decide_eq_true h2) (decide_eq_true h3))

/-- `checkClosed` is sound. -/
theorem closed_of_check (h : checkClosed sys cert = true) : Closed sys cert := by
  have hk := kernelClosed_of_check (and_true_left h)
  have hspawn := and_true_left (and_true_right h)
  have hconnect := and_true_left (and_true_right (and_true_right h))
  have hopen := and_true_left (and_true_right (and_true_right (and_true_right h)))
  have hpass := and_true_right (and_true_right (and_true_right (and_true_right h)))
  exact {
    toKernelClosed := hk,
    spawn := fun hp hr hpar => checkSpawn_sound hspawn hp hr hpar,
    connect := fun hc hv hr hcs hvs => checkConnect_sound hconnect hc hv hr hcs hvs,
    openObj := fun ho he hp => checkOpen_sound hopen ho he hp,
    pass := fun hx hr hrule h1 h2 h3 => checkPass_sound hpass hx hr hrule h1 h2 h3 }

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
  have habs : c.abs = c := Component.abs_of_not_spawned c hns
  have ht' : e.abs.target = Target.own c k := by
    show e.target.abs = Target.own c k
    rw [ht]
    show Target.own c.abs k = Target.own c k
    rw [habs]
  have hh : e.holder.abs = c := hp e.abs (hcov.caps e he) k hk ht'
  have hsp : e.holder.spawned = false := by
    have hs' : e.holder.abs.spawned = c.spawned := by rw [hh]
    exact hs'.trans hns
  exact (Component.abs_of_not_spawned e.holder hsp).symm.trans hh

theorem checkConforms_sound (h : checkConforms sys cert = true) : CertConforms sys cert := by
  unfold CertConforms
  exact ⟨fun e he => mem_of_memB (of_all (and_true_left h) he),
    fun x hx => mem_of_memB (of_all (and_true_right h) hx)⟩

/-- A conforming certificate makes every state it covers conform. -/
theorem conforms_of_covers {s : State} (hcov : Covers cert s) (hc : CertConforms sys cert) :
    ConformsIn sys s := by
  unfold CertConforms at hc
  unfold ConformsIn
  constructor
  · intro e he
    have h1 := hc.1 e.abs (hcov.caps e he)
    rw [show e.abs.target.sid = e.target.sid from Target.sid_abs e.target,
      show e.abs.target.kind = e.target.kind from Target.kind_abs e.target] at h1
    exact h1
  · intro x hx
    exact hc.2 x.abs (hcov.handles x hx)

theorem checkServersConnected_sound (h : checkServersConnected sys = true) :
    ServersConnected sys :=
  fun _ ho => mem_of_memB (of_all h ho)

/-! ## The properties -/

/-- **P1 is sound**: a certificate accepted by `checkCompleteMediation` proves complete
mediation. -/
theorem complete_mediation_of_check (sys : Sys) (cert : Certificate)
    (h : checkCompleteMediation sys cert = true) : CompleteMediation sys := by
  have hk := kernelClosed_of_check (and_true_left h)
  have hconn := checkServersConnected_sound (and_true_left (and_true_right h))
  have hpriv := and_true_right (and_true_right h)
  unfold CompleteMediation
  refine ⟨hconn, ?_, fun _ hs => mediated_of_reachable hs⟩
  intro s hs o ho
  have ⟨hns, hp⟩ := checkPrivate_sound (of_all hpriv ho)
  exact private_of_covers (covers_of_kreachable hk hs) hns hp

/-- **P2 is sound**: a certificate accepted by `checkTamperProof` proves tamper-proofness. -/
theorem tamper_proof_of_check (sys : Sys) (cert : Certificate)
    (h : checkTamperProof sys cert = true) : TamperProof sys := by
  have hk := kernelClosed_of_check (and_true_left h)
  have ⟨hns, hp⟩ := checkPrivate_sound (and_true_right h)
  intro s hs
  exact private_of_covers (covers_of_kreachable hk hs) hns hp

/-- **P3 is sound**: a certificate accepted by `checkAuthorityConformance` proves authority
conformance. -/
theorem authority_conformance_of_check (sys : Sys) (cert : Certificate)
    (h : checkAuthorityConformance sys cert = true) : AuthorityConformance sys := by
  have hk := kernelClosed_of_check (and_true_left h)
  have hc := checkConforms_sound (and_true_right h)
  intro s hs
  exact conforms_of_covers (covers_of_kreachable hk hs) hc

end SMOS
