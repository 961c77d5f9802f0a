import SMOS.Properties

/-!
# Certificates and what they must satisfy

A certificate is what the Python analyses find: an over-approximation of everything that can
ever exist, stated about abstract components (`Component.abs`). `Covers cert s` says that the
certificate accounts for state `s`. The structures `KernelClosed`, `Closed` and `FlowClosed`
state, as propositions, the conditions that make a certificate an inductive invariant; the
checkers in `SMOS.Checkers` decide them and `SMOS.Thm` proves the checkers sound.
-/

namespace SMOS

/-- A cap apart from its holder: what the certificate lists under each holder. -/
structure Slot where
  target : Target
  rights : List Right
  badge : Nat
  deriving Repr

/-- Slots compared as `Cap.beq` compares caps (the closure rules compare holders' slots). -/
def Slot.beq (a b : Slot) : Bool :=
  eqB a.badge b.badge && (Target.beq a.target b.target && decide (a.rights = b.rights))

theorem Slot.beq_iff : ∀ {a b : Slot}, Slot.beq a b = true ↔ a = b := by
  intro a b
  obtain ⟨t, r, x⟩ := a
  obtain ⟨t', r', x'⟩ := b
  simp only [Slot.beq, Bool.and_eq_true, Target.beq_iff, decide_eq_true_eq, Slot.mk.injEq]
  constructor
  · intro ⟨e1, e2, e3⟩
    exact ⟨e2, e3, eq_of_eqB e1⟩
  · intro ⟨e1, e2, e3⟩
    exact ⟨eqB_of e3, e1, e2⟩

instance : DecidableEq Slot := fun _ _ => decidable_of_iff _ Slot.beq_iff

/-- The cap `h` holds as `s`. -/
def Slot.cap (h : Component) (s : Slot) : Cap := ⟨h, s.target, s.rights, s.badge⟩

/-- A handle apart from its holder: what the certificate lists under each holder. -/
structure Held where
  obj : SObj
  op : OpId
  deriving Repr

/-- Held handles compared operation first, then object (`SObj.beq`). -/
def Held.beq (a b : Held) : Bool := eqB a.op b.op && SObj.beq a.obj b.obj

theorem Held.beq_iff : ∀ {a b : Held}, Held.beq a b = true ↔ a = b := by
  intro a b
  obtain ⟨o, p⟩ := a
  obtain ⟨o', p'⟩ := b
  simp only [Held.beq, Bool.and_eq_true, SObj.beq_iff, Held.mk.injEq]
  constructor
  · intro ⟨e1, e2⟩
    exact ⟨e2, eq_of_eqB e1⟩
  · intro ⟨e1, e2⟩
    exact ⟨eqB_of e2, e1⟩

instance : DecidableEq Held := fun _ _ => decidable_of_iff _ Held.beq_iff

/-- The handle `h` holds as `x`. -/
def Held.handle (h : Component) (x : Held) : Handle := ⟨h, x.obj, x.op⟩

/-- Things grouped by holder: each entry is a holder and things it holds (caps as `Slot`s,
handles as `Held`s). A closure rule moves every cap of one holder to another, and a lookup asks
what one holder holds, so a checker compares or searches holders' entries instead of every cap
or handle (a holder may have several entries; `heldBy` joins them). -/
abbrev Groups (α : Type) := List (Component × List α)

/-- The caps of the groups, one by one. -/
def capsOf (G : Groups Slot) : List Cap := G.flatMap fun g => g.2.map (Slot.cap g.1)

/-- The handles of the groups, one by one. -/
def handlesOf (G : Groups Held) : List Handle := G.flatMap fun g => g.2.map (Held.handle g.1)

/-- Everything `h` holds according to `G`, from each of its entries (its entries picked out
first: joining every holder's list, most of them empty, cost the kernel more than the search). -/
def heldBy {α : Type} (G : Groups α) (h : Component) : List α :=
  (G.filter fun g => decide (g.1 = h)).flatMap Prod.snd

/-- A role as a number, in `Role`'s order. -/
def Role.index : Role → Nat
  | .client => 0
  | .server => 1
  | .policy => 2
  | .root => 3

/-- A component as one number ordered as the emitter lists holders (`comp_order`: initial before
spawned, then by id, sid and role), for ids and sids below 2^64. -/
def Component.key (c : Component) : Nat :=
  (((bif c.spawned then 1 else 0) * 2 ^ 64 + c.id) * 2 ^ 64 + c.sid) * 4 + c.role.index

/-- Every holder has one group, shown in one walk: the holders' keys ascend. A rule can then take
a holder's group for everything it holds, where looking holders up (`heldBy`) among 1,000 groups
ran the kernel out of memory. -/
def holdersApart {α : Type} (G : Groups α) : Bool := ascendingB (G.map fun g => g.1.key)

structure Certificate where
  /-- Abstract components that may ever be live (initial ones and spawn summaries). -/
  comps : List Component
  /-- Abstract caps that may ever exist, one by one, grouped by holder (`caps`). -/
  capGroups : Groups Slot
  /-- Abstract handles that may ever exist, grouped by holder (`handles`). -/
  handleGroups : Groups Held
  /-- The badges of the declared connections (`Sys.clients`): a badge not among them names no
  client, so any such badge stands for another. -/
  declared : List Nat
  /-- Trusted components the certificate shows nobody can tamper with (their trust is honoured). -/
  trusted : List Component
  /-- The flow graph over abstract nodes: each node with its successors. -/
  edges : List (Node × List Node)
  /-- The facts arriving at each node: (source label, labels it may be treated as). -/
  facts : List (Node × List (Label × List Label))

/-- Abstract caps that may ever exist, one by one. -/
def Certificate.caps (cert : Certificate) : List Cap := capsOf cert.capGroups

/-- Abstract handles that may ever exist. -/
def Certificate.handles (cert : Certificate) : List Handle := handlesOf cert.handleGroups

/-- The certificate's caps and handles as a state (flow rules are read on it). -/
def Certificate.state (cert : Certificate) : State :=
  { comps := cert.comps, caps := cert.caps, handles := cert.handles, log := [], nextId := 0 }

/-- The list paired with `v` (the first entry for `v`; none: empty). -/
def lookup {α : Type} : List (Node × List α) → Node → List α
  | [], _ => []
  | p :: l, v => if p.1 = v then p.2 else lookup l v

/-- A certificate cap of badge `b'` stands for a cap of badge `b` to an object of kind `k`: the
same badge; an unbadged endpoint or notification cap, which can be minted with any badge
(`KStep.mint`); or, for two badged caps, any other badge that is not a declared connection's
(`D`; no rule turns a badged cap unbadged, and only a declared badge names a client, so fresh
badges of `Step.connect` need not be listed one by one). -/
def BadgeCovers (D : List Nat) (b' b : Nat) (k : ObjKind) : Prop :=
  b' = b ∨ (b' = 0 ∧ mintable k = true) ∨ (b' ≠ 0 ∧ b ≠ 0 ∧ b ∉ D)

/-- A certificate cap of badge `b'` stands for a cap of badge `b` to `t` when `φ` names `b'` as
the listed badge of `b` at `t`, or when `b'` is an unbadged endpoint or notification cap, which
can be minted with any badge (`KStep.mint`). Under the kernel rules alone no badge is made up
(`φ` the identity); `Step.connect` gives a badge no cap to the endpoint carries, so `φ` can name
a listed badge for it alone. Two caps of one badge to one target are thus listed with badges that
meet (`BadgesMeet`). -/
def BadgeBy (φ : Target → Nat → Nat) (t : Target) (b' b : Nat) : Prop :=
  b' = φ t b ∨ (b' = 0 ∧ mintable t.kind = true)

/-- The certificate accounts for cap `c`, badges related by `R` (given `c`'s target): it lists a
cap of `c`'s abstract holder to `c`'s abstract target that carries every right of `c`, with a
badge `R` relates to `c`'s. -/
def CertHasBy (R : Target → Nat → Nat → Prop) (cert : Certificate) (c : Cap) : Prop :=
  ∃ rs b, Cap.mk c.holder.abs c.target.abs rs b ∈ cert.caps ∧ (∀ r, r ∈ c.rights → r ∈ rs) ∧
    R c.target b c.badge

/-- The certificate accounts for cap `c`, with a badge standing for `c`'s (`BadgeCovers`). -/
def CertHas (cert : Certificate) (c : Cap) : Prop :=
  CertHasBy (fun t b' b => BadgeCovers cert.declared b' b t.kind) cert c

/-- The certificate accounts for every component, cap and handle of `s`. -/
structure Covers (cert : Certificate) (s : State) : Prop where
  comps : ∀ c, c ∈ s.comps → c.abs ∈ cert.comps
  caps : ∀ e, e ∈ s.caps → CertHas cert e
  handles : ∀ h, h ∈ s.handles → h.abs ∈ cert.handles

/-- The certificate covers the initial state and is closed under every kernel rule
(`KStep`'s constructors, one field each; `mint` and `revoke` need none: `BadgeCovers` accounts
for minted copies, and revoking only removes caps). -/
structure KernelClosed (sys : Sys) (cert : Certificate) : Prop where
  init : Covers cert sys.initial
  grant : ∀ {snd rcv : Component} {ep t : Target} {rs rr r : List Right} {bs br b : Nat},
    Cap.mk snd ep rs bs ∈ cert.caps → Right.send ∈ rs → Right.grant ∈ rs →
    Cap.mk rcv ep rr br ∈ cert.caps → Right.receive ∈ rr →
    Cap.mk snd t r b ∈ cert.caps → Cap.mk rcv t r b ∈ cert.caps
  reply : ∀ {clt srv : Component} {ep t : Target} {rc rv r : List Right} {bc bv b : Nat},
    Cap.mk clt ep rc bc ∈ cert.caps → Right.send ∈ rc → (Right.grant ∈ rc ∨ Right.grantReply ∈ rc) →
    Cap.mk srv ep rv bv ∈ cert.caps → Right.receive ∈ rv → Right.grant ∈ rv →
    Cap.mk srv t r b ∈ cert.caps → Cap.mk clt t r b ∈ cert.caps
  copyOut : ∀ {a x : Component} {t : Target} {ra r : List Right} {ba b : Nat},
    Cap.mk a (.own x .cnode) ra ba ∈ cert.caps → Right.control ∈ ra →
    Cap.mk x t r b ∈ cert.caps → Cap.mk a t r b ∈ cert.caps
  copyIn : ∀ {a x : Component} {t : Target} {ra r : List Right} {ba b : Nat},
    Cap.mk a (.own x .cnode) ra ba ∈ cert.caps → Right.control ∈ ra →
    Cap.mk a t r b ∈ cert.caps → Cap.mk x t r b ∈ cert.caps
  tcbCNode : ∀ {a x : Component} {ra : List Right} {ba : Nat},
    Cap.mk a (.own x .tcb) ra ba ∈ cert.caps → Right.control ∈ ra →
    Cap.mk a (.own x .cnode) [Right.control] 0 ∈ cert.caps
  tcbVSpace : ∀ {a x : Component} {ra : List Right} {ba : Nat},
    Cap.mk a (.own x .tcb) ra ba ∈ cert.caps → Right.control ∈ ra →
    Cap.mk a (.own x .vspace) [Right.control] 0 ∈ cert.caps
  vspaceFrames : ∀ {a x : Component} {ra : List Right} {ba : Nat},
    Cap.mk a (.own x .vspace) ra ba ∈ cert.caps → Right.control ∈ ra →
    Cap.mk a (.own x .frames) memoryRights 0 ∈ cert.caps
  untypedCover : ∀ {a : Component} {u t : Target} {ra : List Right} {ba : Nat},
    (u, t) ∈ sys.covers → Cap.mk a u.abs ra ba ∈ cert.caps → Right.control ∈ ra →
    Cap.mk a t.abs (kindRights t.kind) 0 ∈ cert.caps

/-- The certificate is also closed under every dynamic step the policy permits. -/
structure Closed (sys : Sys) (cert : Certificate) : Prop extends KernelClosed sys cert where
  spawn : ∀ {p : Component} {rule : SpawnRule},
    p ∈ cert.comps → rule ∈ sys.policy.spawn → rule.parent = p.sid →
    summary rule.child rule.role ∈ cert.comps ∧
    Cap.mk p (.own (summary rule.child rule.role) .tcb) [Right.control] 0 ∈ cert.caps ∧
    Cap.mk p (.own (summary rule.child rule.role) .cnode) [Right.control] 0 ∈ cert.caps ∧
    Cap.mk p (.own (summary rule.child rule.role) .vspace) [Right.control] 0 ∈ cert.caps
  connect : ∀ {c v : Component} {rule : ConnectRule},
    c ∈ cert.comps → v ∈ cert.comps → rule ∈ sys.policy.connect →
    rule.client = c.sid → rule.server = v.sid →
    ∃ rs b, Cap.mk c (.own v .endpoint) rs b ∈ cert.caps ∧ Right.send ∈ rs
  openObj : ∀ {c : Component} {o : SObj} {op : OpId} {rs : List Right} {b : Nat},
    o ∈ sys.objects → Cap.mk c (.own o.server.abs .endpoint) rs b ∈ cert.caps → Right.send ∈ rs →
    smosAuth sys.decisions (Perm.mk c.sid o.sid o.cls op) = true → Handle.mk c o op ∈ cert.handles
  pass : ∀ {h : Handle} {r : Component} {rule : PassRule},
    h ∈ cert.handles → r ∈ cert.comps → rule ∈ sys.policy.pass →
    rule.sender = h.holder.sid → rule.receiver = r.sid → rule.cls = h.obj.cls →
    Handle.mk r h.obj h.op ∈ cert.handles
  declared : ∀ {n : Nat}, n ∈ cert.declared → ∃ d, d ∈ sys.clients ∧ d.badge = n

/-- Nobody but `c` holds a cap to `c`'s private objects, according to the certificate. -/
def CertPrivate (cert : Certificate) (c : Component) : Prop :=
  ∀ e, e ∈ cert.caps → ∀ k, k ∈ privateKinds → e.target = .own c k → e.holder = c

/-- Every right of every abstract cap, and every abstract handle, is permitted by the policy. -/
def CertConforms (sys : Sys) (cert : Certificate) : Prop :=
  (∀ e, e ∈ cert.caps → ∀ r, r ∈ e.rights →
    KPerm.mk e.holder.sid e.target.sid e.target.kind r ∈ sys.policy.kernelAllow) ∧
  (∀ h, h ∈ cert.handles → Perm.mk h.holder.sid h.obj.sid h.obj.cls h.op ∈ sys.policy.allow)

/-- `NoBorrowedIdentity` on the certificate: whoever, apart from `o`'s server, holds a listed cap
with send to that server's endpoint whose badge stands for a declared client `d`'s badge
(`BadgeCovers`) is permitted on `o`, under its own sid, everything `d.sid` is. -/
def CertNoBorrow (sys : Sys) (cert : Certificate) : Prop :=
  ∀ e, e ∈ cert.caps → ∀ o, o ∈ sys.objects → e.target = .own o.server.abs .endpoint →
    Right.send ∈ e.rights → Apart e.holder o.server.abs →
    ∀ d, d ∈ sys.clients → d.server = o.server → BadgeCovers cert.declared e.badge d.badge .endpoint →
    ∀ op, Perm.mk d.sid o.sid o.cls op ∈ sys.policy.allow →
      Perm.mk e.holder.sid o.sid o.cls op ∈ sys.policy.allow

/-- Two badges a server may see as one: equal, or one of them unbadged (it can be minted with the
other, `KStep.mint`). -/
def BadgesMeet (b₁ b₂ : Nat) : Prop := b₁ = b₂ ∨ b₁ = 0 ∨ b₂ = 0

/-- `CallersDistinct` on the certificate: two listed caps with send to the endpoint of `o`'s
server, held by components apart from the server, whose badges may meet (`BadgesMeet`) belong to
sids the policy treats alike on `o`. -/
def CertCallersDistinct (sys : Sys) (cert : Certificate) : Prop :=
  ∀ e₁ e₂, e₁ ∈ cert.caps → e₂ ∈ cert.caps → ∀ o, o ∈ sys.objects →
    e₁.target = .own o.server.abs .endpoint → e₂.target = .own o.server.abs .endpoint →
    Right.send ∈ e₁.rights → Right.send ∈ e₂.rights →
    Apart e₁.holder o.server.abs → Apart e₂.holder o.server.abs → BadgesMeet e₁.badge e₂.badge →
    ∀ op, Perm.mk e₁.holder.sid o.sid o.cls op ∈ sys.policy.allow →
      Perm.mk e₂.holder.sid o.sid o.cls op ∈ sys.policy.allow

/-- Nobody but `c` holds a cap to `c`'s private objects or receives on its endpoint, according
to the certificate. -/
def CertUntampered (cert : Certificate) (c : Component) : Prop :=
  CertPrivate cert c ∧
  ∀ e, e ∈ cert.caps → e.target = .own c .endpoint → Right.receive ∈ e.rights → e.holder = c

/-- What a trusted component does to the labels of what leaves it, as the checker computes it:
`widenStep` adds the sink of every trust rule for `sid` that fires, `widenL` repeats it. -/
def widenStep (p : Policy) (sid : Sid) (m : List Label) : List Label :=
  m ++ (p.trust.filter fun r => decide (r.subject = sid) &&
    (!memB r.sink m && m.any fun l => memB (l, r.source) p.order)).map TrustRule.sink

def widenL (p : Policy) (sid : Sid) : Nat → List Label → List Label
  | 0, m => m
  | n + 1, m => widenL p sid n (widenStep p sid m)

/-- The labels of what leaves node `u`, treated as `m`: widened (as many rounds as there are
trust rules, enough for every rule to fire) when `u` is a component the certificate trusts. -/
def leaveL (p : Policy) (T : List Component) : Node → List Label → List Label
  | .comp c, m => bif memB c T then widenL p c.sid p.trust.length m else m
  | .obj _, m => m
  | .chan _, m => m

/-- The flow certificate: its graph contains every flow step its caps and handles allow
(summaries count as apart from themselves), its facts are closed under the graph, every fact is
allowed where it arrives, and the components it trusts are initial and untampered. -/
structure FlowClosed (sys : Sys) (cert : Certificate) : Prop where
  declared : ∀ d, d ∈ sys.clients → d.badge ∈ cert.declared
  handleServers : ∀ h, h ∈ cert.handles → h.obj.server.spawned = false
  objectServers : ∀ o, o ∈ sys.objects → o.server.spawned = false
  edges : ∀ {u v : Node}, FlowStep sys Apart cert.state u v → v ∈ lookup cert.edges u
  seed : ∀ {u v : Node} {l : Label}, v ∈ lookup cert.edges u → l ∈ labelsOf sys.policy u →
    (l, leaveL sys.policy cert.trusted u [l]) ∈ lookup cert.facts v
  step : ∀ {u v : Node} {f : Label × List Label}, v ∈ lookup cert.edges u →
    f ∈ lookup cert.facts u → (f.1, leaveL sys.policy cert.trusted u f.2) ∈ lookup cert.facts v
  allowed : ∀ {v : Node} {f : Label × List Label} {lb : Label}, f ∈ lookup cert.facts v →
    lb ∈ labelsOf sys.policy v → ∃ l, l ∈ f.2 ∧ (l, lb) ∈ sys.policy.flows
  trusted : ∀ c, c ∈ cert.trusted → c.spawned = false ∧ CertUntampered cert c

/-- The certificate lists every initial component, cap and handle exactly, abstracted (what
`checkInit` decides; `Covers` of the initial state asks less: a cap with more rights or a
badge standing for its badge is enough). -/
def ListsInitial (sys : Sys) (cert : Certificate) : Prop :=
  (∀ c, c ∈ sys.comps → c.abs ∈ cert.comps) ∧ (∀ e, e ∈ sys.caps → e.abs ∈ cert.caps) ∧
  (∀ h, h ∈ sys.handles → h.abs ∈ cert.handles)

end SMOS
