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
  /-- Abstract authority edges that may ever exist. -/
  caps : List Edge
  /-- Abstract handles that may ever exist. -/
  handles : List Handle
  /-- Abstract (source, sink) pairs between which information may ever flow. -/
  flows : List (Component × Component)

/-- The certificate accounts for every component, cap and handle of `s`. -/
structure Covers (cert : Certificate) (s : State) : Prop where
  comps : ∀ c, c ∈ s.comps → c.abs ∈ cert.comps
  caps : ∀ e, e ∈ s.caps → e.abs ∈ cert.caps
  handles : ∀ h, h ∈ s.handles → h.abs ∈ cert.handles

/-- The certificate covers the initial state and is closed under every kernel step. -/
structure KernelClosed (sys : Sys) (cert : Certificate) : Prop where
  init : Covers cert sys.initial
  grant : ∀ {snd rcv : Component} {ep t : Target} {r : Right},
    Edge.mk snd ep .send ∈ cert.caps → Edge.mk snd ep .grant ∈ cert.caps →
    Edge.mk rcv ep .receive ∈ cert.caps → Edge.mk snd t r ∈ cert.caps →
    Edge.mk rcv t r ∈ cert.caps
  reply : ∀ {clt srv : Component} {ep t : Target} {r : Right},
    Edge.mk clt ep .send ∈ cert.caps → Edge.mk clt ep .grantReply ∈ cert.caps →
    Edge.mk srv ep .receive ∈ cert.caps → Edge.mk srv ep .grant ∈ cert.caps →
    Edge.mk srv t r ∈ cert.caps → Edge.mk clt t r ∈ cert.caps
  copyOut : ∀ {a b : Component} {t : Target} {r : Right},
    Edge.mk a (.own b .cnode) .control ∈ cert.caps → Edge.mk b t r ∈ cert.caps →
    Edge.mk a t r ∈ cert.caps
  copyIn : ∀ {a b : Component} {t : Target} {r : Right},
    Edge.mk a (.own b .cnode) .control ∈ cert.caps → Edge.mk a t r ∈ cert.caps →
    Edge.mk b t r ∈ cert.caps
  tcb : ∀ {a b : Component},
    Edge.mk a (.own b .tcb) .control ∈ cert.caps →
    Edge.mk a (.own b .cnode) .control ∈ cert.caps ∧
    Edge.mk a (.own b .vspace) .control ∈ cert.caps

/-- The certificate is also closed under every dynamic step the policy permits. -/
structure Closed (sys : Sys) (cert : Certificate) : Prop extends KernelClosed sys cert where
  spawn : ∀ {p : Component} {rule : SpawnRule},
    p ∈ cert.comps → rule ∈ sys.policy.spawn → rule.parent = p.sid →
    summary rule.child rule.role ∈ cert.comps ∧
    Edge.mk p (.own (summary rule.child rule.role) .tcb) .control ∈ cert.caps ∧
    Edge.mk p (.own (summary rule.child rule.role) .cnode) .control ∈ cert.caps ∧
    Edge.mk p (.own (summary rule.child rule.role) .vspace) .control ∈ cert.caps
  connect : ∀ {c v : Component} {rule : ConnectRule},
    c ∈ cert.comps → v ∈ cert.comps → rule ∈ sys.policy.connect →
    rule.client = c.sid → rule.server = v.sid →
    Edge.mk c (.own v .endpoint) .send ∈ cert.caps
  openObj : ∀ {c : Component} {o : SObj} {op : OpId},
    o ∈ sys.objects → Edge.mk c (.own o.server.abs .endpoint) .send ∈ cert.caps →
    Perm.mk c.sid o.sid o.cls op ∈ sys.policy.allow → Handle.mk c o op ∈ cert.handles
  pass : ∀ {h : Handle} {r : Component} {rule : PassRule},
    h ∈ cert.handles → r ∈ cert.comps → rule ∈ sys.policy.pass →
    rule.sender = h.holder.sid → rule.receiver = r.sid → rule.cls = h.obj.cls →
    Handle.mk r h.obj h.op ∈ cert.handles

/-- Nobody but `c` holds a cap to `c`'s private objects, according to the certificate. -/
def CertPrivate (cert : Certificate) (c : Component) : Prop :=
  ∀ e, e ∈ cert.caps → ∀ k, k ∈ privateKinds → e.target = .own c k → e.holder = c

/-- Every abstract cap and handle is permitted by the policy. -/
def CertConforms (sys : Sys) (cert : Certificate) : Prop :=
  (∀ e, e ∈ cert.caps →
    KPerm.mk e.holder.sid e.target.sid e.target.kind e.right ∈ sys.policy.kernelAllow) ∧
  (∀ h, h ∈ cert.handles → Perm.mk h.holder.sid h.obj.sid h.obj.cls h.op ∈ sys.policy.allow)

/-- The flow pairs contain every one-step flow the abstract caps and handles allow, are closed
under composition, and are all allowed by the flow policy. -/
structure FlowClosed (sys : Sys) (cert : Certificate) : Prop where
  pair : ∀ {a b : Component} {t : Target} {r1 r2 : Right},
    (r1, r2) ∈ flowPairs → Edge.mk a t r1 ∈ cert.caps → Edge.mk b t r2 ∈ cert.caps →
    (a, b) ∈ cert.flows
  toOwner : ∀ {a b : Component} {k : ObjKind} {r : Right},
    r ∈ toOwnerRights → Edge.mk a (.own b k) r ∈ cert.caps → (a, b) ∈ cert.flows
  fromOwner : ∀ {a b : Component} {k : ObjKind} {r : Right},
    r ∈ fromOwnerRights → Edge.mk a (.own b k) r ∈ cert.caps → (b, a) ∈ cert.flows
  handle : ∀ {h : Handle}, h ∈ cert.handles →
    (h.holder, h.obj.server.abs) ∈ cert.flows ∧ (h.obj.server.abs, h.holder) ∈ cert.flows
  trans : ∀ {a b c : Component}, (a, b) ∈ cert.flows → (b, c) ∈ cert.flows → (a, c) ∈ cert.flows
  allowed : ∀ {a b : Component}, (a, b) ∈ cert.flows → FlowAllowed sys.policy a.sid b.sid

end SMOS
