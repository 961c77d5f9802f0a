import SMOS.Model.State

/-!
# The transition system

`KStep` is what the seL4 kernel lets components do with the caps they hold. Its constructors
are the rules of smosverify's rule table (`smosverify.semantics.rules.AUTHORITY_RULES`), by name
and in order; a test fails when the two lists differ. Each premise is about ONE cap: seL4 checks
the rights of the cap an operation is invoked through. `Step` adds the dynamic SMOS steps the
policy permits: spawn, connect, open and call (both mediated by the policy server), passing a
handle cap, and close. `KReachable` and `Reachable` are their reflexive-transitive closures from
the initial state.

`FlowStep` says when information can move between two components in a state; `FlowPath` is
its transitive closure.
-/

namespace SMOS

/-- One kernel-level authority step (docs/authority-rules.md has an example of each rule). -/
inductive KStep (sys : Sys) : State → State → Prop where
  /-- A sender whose one cap to an endpoint carries send and grant passes every cap it holds
  (same target, rights and badge) to any component receiving on that endpoint (seL4
  `transferCaps`, manual §4.2). -/
  | grant {s : State} {snd rcv : Component} {ep t : Target} {rs rr r : List Right}
      {bs br b : Nat} :
      Cap.mk snd ep rs bs ∈ s.caps → Right.send ∈ rs → Right.grant ∈ rs →
      Cap.mk rcv ep rr br ∈ s.caps → Right.receive ∈ rr →
      Cap.mk snd t r b ∈ s.caps →
      KStep sys s (s.addCap (Cap.mk rcv t r b))
  /-- A caller whose one cap to an endpoint carries send and grant or grant-reply receives, in
  the reply, every cap of a receiver whose one cap to the endpoint carries receive and grant
  (the reply cap gets the receiver's grant right: seL4 `setupCallerCap`). -/
  | reply {s : State} {clt srv : Component} {ep t : Target} {rc rv r : List Right}
      {bc bv b : Nat} :
      Cap.mk clt ep rc bc ∈ s.caps → Right.send ∈ rc → (Right.grant ∈ rc ∨ Right.grantReply ∈ rc) →
      Cap.mk srv ep rv bv ∈ s.caps → Right.receive ∈ rv → Right.grant ∈ rv →
      Cap.mk srv t r b ∈ s.caps →
      KStep sys s (s.addCap (Cap.mk clt t r b))
  /-- Control of `x`'s CNode lets `a` copy any of `x`'s caps out. -/
  | copyOut {s : State} {a x : Component} {t : Target} {ra r : List Right} {ba b : Nat} :
      Cap.mk a (.own x .cnode) ra ba ∈ s.caps → Right.control ∈ ra → Cap.mk x t r b ∈ s.caps →
      KStep sys s (s.addCap (Cap.mk a t r b))
  /-- Control of `x`'s CNode lets `a` copy any of its own caps into it. -/
  | copyIn {s : State} {a x : Component} {t : Target} {ra r : List Right} {ba b : Nat} :
      Cap.mk a (.own x .cnode) ra ba ∈ s.caps → Right.control ∈ ra → Cap.mk a t r b ∈ s.caps →
      KStep sys s (s.addCap (Cap.mk x t r b))
  /-- Control of `x`'s TCB gives control of `x`'s CNode ... -/
  | tcbCNode {s : State} {a x : Component} {ra : List Right} {ba : Nat} :
      Cap.mk a (.own x .tcb) ra ba ∈ s.caps → Right.control ∈ ra →
      KStep sys s (s.addCap (Cap.mk a (.own x .cnode) [.control] 0))
  /-- ... and of `x`'s VSpace. -/
  | tcbVSpace {s : State} {a x : Component} {ra : List Right} {ba : Nat} :
      Cap.mk a (.own x .tcb) ra ba ∈ s.caps → Right.control ∈ ra →
      KStep sys s (s.addCap (Cap.mk a (.own x .vspace) [.control] 0))
  /-- Control of `x`'s VSpace lets `a` map `x`'s frames: read, write and execute on them. -/
  | vspaceFrames {s : State} {a x : Component} {ra : List Right} {ba : Nat} :
      Cap.mk a (.own x .vspace) ra ba ∈ s.caps → Right.control ∈ ra →
      KStep sys s (s.addCap (Cap.mk a (.own x .frames) memoryRights 0))
  /-- Control of an untyped gives every right on each object made from it (revoke deletes
  it, retype reuses its memory: l4v access control). -/
  | untypedCover {s : State} {a : Component} {u t : Target} {ra : List Right} {ba : Nat} :
      Cap.mk a u ra ba ∈ s.caps → Right.control ∈ ra → (u, t) ∈ sys.covers →
      KStep sys s (s.addCap (Cap.mk a t (kindRights t.kind) 0))
  /-- An unbadged cap to an endpoint or a notification can be minted with any badge. -/
  | mint {s : State} {a : Component} {t : Target} {r : List Right} {b : Nat} :
      Cap.mk a t r 0 ∈ s.caps → mintable t.kind = true →
      KStep sys s (s.addCap (Cap.mk a t r b))
  /-- Revoke every cap to `t`. -/
  | revoke {s : State} (t : Target) : KStep sys s (s.revoke t)

/-- One step of a running SMOS system. -/
inductive Step (sys : Sys) : State → State → Prop where
  | kernel {s s' : State} : KStep sys s s' → Step sys s s'
  /-- A live component spawns a child, as a `spawn` rule permits. -/
  | spawn {s : State} {parent : Component} {rule : SpawnRule} :
      parent ∈ s.comps → rule ∈ sys.policy.spawn → rule.parent = parent.sid →
      Step sys s (s.spawn parent rule.child rule.role)
  /-- A live component connects to a live server, as a `connect` rule permits: it gets a send
  cap with a badge of its own (none of the declared connections' badges, and none that a cap to
  the server's endpoint carries: the server mints a fresh one, so it can tell the caller apart). -/
  | connect {s : State} {client server : Component} {rule : ConnectRule} {b : Nat} :
      client ∈ s.comps → server ∈ s.comps → rule ∈ sys.policy.connect →
      rule.client = client.sid → rule.server = server.sid → b ≠ 0 →
      (∀ d, d ∈ sys.clients → d.badge ≠ b) →
      (∀ e, e ∈ s.caps → e.target = .own server .endpoint → e.badge ≠ b) →
      Step sys s (s.addCap (Cap.mk client (.own server .endpoint) [.send] b))
  /-- `obj_open`: a client calls the object's server, which holds a connection to a policy
  server (a component of role `policy`) and gets `smos_auth` = permit; the client receives a
  handle. -/
  | openObj {s : State} {client p : Component} {o : SObj} {op : OpId} {rc rv : List Right}
      {bc bv : Nat} :
      o ∈ sys.objects →
      Cap.mk client (.own o.server .endpoint) rc bc ∈ s.caps → Right.send ∈ rc →
      p ∈ sys.comps → p.role = .policy →
      Cap.mk o.server (.own p .endpoint) rv bv ∈ s.caps → Right.send ∈ rv →
      smosAuth sys.decisions (Perm.mk client.sid o.sid o.cls op) = true →
      Step sys s (s.addHandle (Handle.mk client o op))
  /-- A call through a handle: the server asks the policy server again and acts only on
  permit; the operation is recorded in the log. -/
  | call {s : State} {h : Handle} {p : Component} {rv : List Right} {bv : Nat} :
      h ∈ s.handles →
      p ∈ sys.comps → p.role = .policy →
      Cap.mk h.obj.server (.own p .endpoint) rv bv ∈ s.caps → Right.send ∈ rv →
      smosAuth sys.decisions (Perm.mk h.holder.sid h.obj.sid h.obj.cls h.op) = true →
      Step sys s (s.record (Access.mk h.holder h.obj h.op))
  /-- Pass a handle cap to a live component, as a `pass` rule permits. -/
  | pass {s : State} {h : Handle} {receiver : Component} {rule : PassRule} :
      h ∈ s.handles → receiver ∈ s.comps → rule ∈ sys.policy.pass →
      rule.sender = h.holder.sid → rule.receiver = receiver.sid → rule.cls = h.obj.cls →
      Step sys s (s.addHandle (Handle.mk receiver h.obj h.op))
  /-- Close a handle. -/
  | close {s : State} (h : Handle) : Step sys s (s.close h)

/-- States reachable from hand-over by kernel steps alone (the static closure of P1–P3, P5). -/
inductive KReachable (sys : Sys) : State → Prop where
  | init : KReachable sys sys.initial
  | step {s s' : State} : KReachable sys s → KStep sys s s' → KReachable sys s'

/-- States reachable from hand-over by any permitted step (P7). -/
inductive Reachable (sys : Sys) : State → Prop where
  | init : Reachable sys sys.initial
  | step {s s' : State} : Reachable sys s → Step sys s s' → Reachable sys s'

theorem KReachable.toReachable {sys : Sys} {s : State} (h : KReachable sys s) :
    Reachable sys s := by
  induction h with
  | init => exact Reachable.init
  | step _ hk ih => exact Reachable.step ih (Step.kernel hk)

/-! ## Information flow

The flow graph of `smosverify.analyses.flow.graph`: its nodes are components, server objects and
kernel objects (regions, notifications, and endpoints several components receive on), and
`FlowStep`'s constructors are the flow rules of `smosverify.semantics.rules.FLOW_RULES`, by name
and in order (a test compares the lists). Each premise is about one cap. `apart` says when two
components count as different: `(· ≠ ·)` in the properties; certificates, whose summary
components stand for many, use `Apart`.
-/

/-- A node of the flow graph. -/
inductive Node where
  | comp (c : Component)
  | obj (o : SObj)
  | chan (t : Target)
  deriving DecidableEq, Repr

def Node.abs : Node → Node
  | .comp c => .comp c.abs
  | .obj o => .obj o
  | .chan t => .chan t.abs

/-- The sid a node is labelled by; an endpoint is only a conduit between its receivers. -/
def Node.sid? : Node → Option Sid
  | .comp c => some c.sid
  | .obj o => some o.sid
  | .chan t => if t.kind = .endpoint then none else some t.sid

/-- The labels of a node. -/
def labelsOf (p : Policy) (v : Node) : List Label :=
  match v.sid? with
  | none => []
  | some s => (p.labelOf.filter fun e => decide (e.1 = s)).map Prod.snd

/-- The right with which a component receives from an object of this kind (`receiveAffects`). -/
def receiveRight : ObjKind → Option Right
  | .endpoint => some .receive
  | .notification => some .wait
  | _ => none

/-- The node whose contents a memory cap maps: a component's frames are the component's, a region
is its own. -/
def memoryNode : Target → Option Node
  | .own x k => if k = .frames then some (.comp x) else none
  | .chan k i s => if k = .region then some (.chan (.chan k i s)) else none

/-- The component whose TCB, CNode or VSpace a target is (`control`). -/
def controlled : Target → Option Component
  | .own x k => if k = .tcb ∨ k = .cnode ∨ k = .vspace then some x else none
  | .chan _ _ _ => none

/-- Two certificate components stand for different components: they differ, or one is a
summary (which stands for many). -/
def Apart (a b : Component) : Prop := a ≠ b ∨ a.spawned = true

/-- `a` holds a cap to `t` carrying `r`. -/
def Holds (s : State) (a : Component) (t : Target) (r : Right) : Prop :=
  ∃ rs b, Cap.mk a t rs b ∈ s.caps ∧ r ∈ rs

/-- `a` can send on `t`: a cap of `a` to `t` carries send, or `t` is the endpoint of the server
of an object `a` holds a handle to (a handle is a connection of its own). -/
def Sends (s : State) (a : Component) (t : Target) : Prop :=
  (∃ rs b, Cap.mk a t rs b ∈ s.caps ∧ Right.send ∈ rs) ∨
  (∃ h, h ∈ s.handles ∧ h.holder = a ∧ t = .own h.obj.server .endpoint)

/-- A caller `h` of server `srv` acts as `sid`: its own sid, or the sid of a declared client whose
badge `h` holds on a cap with send to `srv` (every declared client's for badge 0). -/
def ActsAs (sys : Sys) (apart : Component → Component → Prop) (s : State) (h srv : Component)
    (sid : Sid) : Prop :=
  apart h srv ∧
  ((Sends s h (.own srv .endpoint) ∧ sid = h.sid) ∨
   ∃ rs b d, Cap.mk h (.own srv .endpoint) rs b ∈ s.caps ∧ Right.send ∈ rs ∧ d ∈ sys.clients ∧
     d.server = srv ∧ d.sid = sid ∧ (b = 0 ∨ b = d.badge))

/-- `(x, y)` is one of the two directions between `u` and `v`. -/
def Between (x y u v : Node) : Prop := (x = u ∧ y = v) ∨ (x = v ∧ y = u)

/-- Information can move from `x` to `y` in one step: the flow rules of the rule table. -/
inductive FlowStep (sys : Sys) (apart : Component → Component → Prop) (s : State) :
    Node → Node → Prop where
  /-- A sender's request reaches every receiver on the endpoint. -/
  | call {a b : Component} {t : Target} :
      t.kind = .endpoint → Sends s a t → Holds s b t .receive → apart a b →
      FlowStep sys apart s (.comp a) (.comp b)
  /-- The receiver answers the sender: a reply, or at least when it took the message. -/
  | answer {a b : Component} {t : Target} :
      t.kind = .endpoint → Sends s a t → Holds s b t .receive → apart a b →
      FlowStep sys apart s (.comp b) (.comp a)
  /-- Two receivers on one endpoint (waiters on one notification) affect each other through it:
  each flows into it, it flows to each. -/
  | receiveAffects {a b : Component} {t : Target} {r : Right} {x y : Node} :
      receiveRight t.kind = some r → Holds s a t r → Holds s b t r → apart a b →
      Between x y (.comp a) (.chan t) → FlowStep sys apart s x y
  /-- Signallers flow into a notification, it flows to its waiters. -/
  | signal {a : Component} {t : Target} {x y : Node} :
      t.kind = .notification →
      ((Holds s a t .signal ∧ x = .comp a ∧ y = .chan t) ∨
       (Holds s a t .wait ∧ x = .chan t ∧ y = .comp a)) →
      FlowStep sys apart s x y
  /-- One cap with read to frames or a region maps it: the memory flows to the holder, and with
  write the holder into it (without read there is no user mapping). -/
  | memory {a : Component} {t : Target} {m : Node} {rs : List Right} {bd : Nat} {x y : Node} :
      Cap.mk a t rs bd ∈ s.caps → memoryNode t = some m → (∀ c, m = .comp c → apart c a) →
      Right.read ∈ rs →
      ((x = m ∧ y = .comp a) ∨ (Right.write ∈ rs ∧ x = .comp a ∧ y = m)) →
      FlowStep sys apart s x y
  /-- Control of another component's TCB, CNode or VSpace: both ways. -/
  | control {a c : Component} {t : Target} {x y : Node} :
      controlled t = some c → Holds s a t .control → apart a c →
      Between x y (.comp a) (.comp c) → FlowStep sys apart s x y
  /-- A server and each object it implements, both ways; a caller into an object by the
  operations the policy allows a sid it acts as that write, out of it by those that read. -/
  | object {o : SObj} {x y : Node} :
      o ∈ sys.objects →
      (Between x y (.comp o.server) (.obj o) ∨
       ∃ h sid op, ActsAs sys apart s h o.server sid ∧ Perm.mk sid o.sid o.cls op ∈ sys.policy.allow ∧
         (((o.cls, op) ∈ sys.policy.writes ∧ x = .comp h ∧ y = .obj o) ∨
          ((o.cls, op) ∈ sys.policy.reads ∧ x = .obj o ∧ y = .comp h))) →
      FlowStep sys apart s x y

/-- The labels information may be treated as after leaving a component of sid `sid`: the labels
`m` holds, and the sink of every trust rule for `sid` whose source is at or above one of them
(chained). -/
inductive Widened (p : Policy) (sid : Sid) (m : Label → Prop) : Label → Prop where
  | base {l : Label} : m l → Widened p sid m l
  | trust {l : Label} {r : TrustRule} : Widened p sid m l → r ∈ p.trust → r.subject = sid →
      (l, r.source) ∈ p.order → Widened p sid m r.sink

/-- What information treated as `m` is treated as when it leaves node `u`: widened by `u`'s trust
rules if `u` is a component whose trust is honoured (`H`). -/
def Leave (p : Policy) (H : Component → Prop) (u : Node) (m : Label → Prop) (l : Label) : Prop :=
  m l ∨ ∃ c, u = .comp c ∧ H c ∧ Widened p c.sid m l

/-- `Carries sys H s src m v`: information from a node labelled `src` can reach `v` over one or
more steps, treated as any label of `m` (a fact of `smosverify.analyses.flow.information`). -/
inductive Carries (sys : Sys) (H : Component → Prop) (s : State) : Label → (Label → Prop) → Node → Prop where
  | first {src : Label} {u v : Node} : src ∈ labelsOf sys.policy u → FlowStep sys (· ≠ ·) s u v →
      Carries sys H s src (Leave sys.policy H u (fun l => l = src)) v
  | next {src : Label} {m : Label → Prop} {u v : Node} : Carries sys H s src m u →
      FlowStep sys (· ≠ ·) s u v → Carries sys H s src (Leave sys.policy H u m) v

end SMOS
