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

structure Certificate where
  /-- Abstract components that may ever be live (initial ones and spawn summaries). -/
  comps : List Component
  /-- Abstract caps that may ever exist, one by one. -/
  caps : List Cap
  /-- Abstract handles that may ever exist. -/
  handles : List Handle
  /-- Abstract (source, sink) pairs between which information may ever flow. -/
  flows : List (Component × Component)

/-- A certificate cap of badge `b'` stands for a cap of badge `b` to an object of kind `k`: the
same badge; an unbadged endpoint or notification cap, which can be minted with any badge
(`KStep.mint`); or, for two badged caps, any other badge (no rule turns a badged cap unbadged,
and no property depends on which badge a cap carries, so fresh badges of `Step.connect` need
not be listed one by one). -/
def BadgeCovers (b' b : Nat) (k : ObjKind) : Prop :=
  b' = b ∨ (b' = 0 ∧ mintable k = true) ∨ (b' ≠ 0 ∧ b ≠ 0)

/-- The certificate accounts for cap `c`: it lists a cap of `c`'s abstract holder to `c`'s
abstract target that carries every right of `c`, with a badge standing for `c`'s. -/
def CertHas (cert : Certificate) (c : Cap) : Prop :=
  ∃ rs b, Cap.mk c.holder.abs c.target.abs rs b ∈ cert.caps ∧ (∀ r, r ∈ c.rights → r ∈ rs) ∧
    BadgeCovers b c.badge c.target.kind

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
    Perm.mk c.sid o.sid o.cls op ∈ sys.policy.allow → Handle.mk c o op ∈ cert.handles
  pass : ∀ {h : Handle} {r : Component} {rule : PassRule},
    h ∈ cert.handles → r ∈ cert.comps → rule ∈ sys.policy.pass →
    rule.sender = h.holder.sid → rule.receiver = r.sid → rule.cls = h.obj.cls →
    Handle.mk r h.obj h.op ∈ cert.handles

/-- Nobody but `c` holds a cap to `c`'s private objects, according to the certificate. -/
def CertPrivate (cert : Certificate) (c : Component) : Prop :=
  ∀ e, e ∈ cert.caps → ∀ k, k ∈ privateKinds → e.target = .own c k → e.holder = c

/-- Every right of every abstract cap, and every abstract handle, is permitted by the policy. -/
def CertConforms (sys : Sys) (cert : Certificate) : Prop :=
  (∀ e, e ∈ cert.caps → ∀ r, r ∈ e.rights →
    KPerm.mk e.holder.sid e.target.sid e.target.kind r ∈ sys.policy.kernelAllow) ∧
  (∀ h, h ∈ cert.handles → Perm.mk h.holder.sid h.obj.sid h.obj.cls h.op ∈ sys.policy.allow)

/-- The flow pairs contain every one-step flow the abstract caps and handles allow, are closed
under composition, and are all allowed by the flow policy. -/
structure FlowClosed (sys : Sys) (cert : Certificate) : Prop where
  pair : ∀ {a b : Component} {t : Target} {r1 r2 : Right} {rs1 rs2 : List Right} {b1 b2 : Nat},
    (r1, r2) ∈ flowPairs → Cap.mk a t rs1 b1 ∈ cert.caps → r1 ∈ rs1 →
    Cap.mk b t rs2 b2 ∈ cert.caps → r2 ∈ rs2 → (a, b) ∈ cert.flows
  toOwner : ∀ {a b : Component} {k : ObjKind} {r : Right} {rs : List Right} {bd : Nat},
    r ∈ toOwnerRights → Cap.mk a (.own b k) rs bd ∈ cert.caps → r ∈ rs → (a, b) ∈ cert.flows
  fromOwner : ∀ {a b : Component} {k : ObjKind} {r : Right} {rs : List Right} {bd : Nat},
    r ∈ fromOwnerRights → Cap.mk a (.own b k) rs bd ∈ cert.caps → r ∈ rs → (b, a) ∈ cert.flows
  handle : ∀ {h : Handle}, h ∈ cert.handles →
    (h.holder, h.obj.server.abs) ∈ cert.flows ∧ (h.obj.server.abs, h.holder) ∈ cert.flows
  trans : ∀ {a b c : Component}, (a, b) ∈ cert.flows → (b, c) ∈ cert.flows → (a, c) ∈ cert.flows
  allowed : ∀ {a b : Component}, (a, b) ∈ cert.flows → FlowAllowed sys.policy a.sid b.sid

end SMOS
