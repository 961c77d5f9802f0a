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
  cap with a badge of its own. -/
  | connect {s : State} {client server : Component} {rule : ConnectRule} {b : Nat} :
      client ∈ s.comps → server ∈ s.comps → rule ∈ sys.policy.connect →
      rule.client = client.sid → rule.server = server.sid → b ≠ 0 →
      Step sys s (s.addCap (Cap.mk client (.own server .endpoint) [.send] b))
  /-- `obj_open`: a client calls the object's server, which holds a connection to the policy
  server and gets `smos_auth` = permit; the client receives a handle. -/
  | openObj {s : State} {client : Component} {o : SObj} {op : OpId} {rc rv : List Right}
      {bc bv : Nat} :
      o ∈ sys.objects →
      Cap.mk client (.own o.server .endpoint) rc bc ∈ s.caps → Right.send ∈ rc →
      Cap.mk o.server (.own sys.policyServer .endpoint) rv bv ∈ s.caps → Right.send ∈ rv →
      smosAuth sys.policy client.sid o.sid o.cls op = true →
      Step sys s (s.addHandle (Handle.mk client o op))
  /-- A call through a handle: the server asks the policy server again and acts only on
  permit; the operation is recorded in the log. -/
  | call {s : State} {h : Handle} {rv : List Right} {bv : Nat} :
      h ∈ s.handles →
      Cap.mk h.obj.server (.own sys.policyServer .endpoint) rv bv ∈ s.caps → Right.send ∈ rv →
      smosAuth sys.policy h.holder.sid h.obj.sid h.obj.cls h.op = true →
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

/-! ## Information flow -/

/-- Pairs of rights on one shared target that move information from the first holder to the
second: a call request and its reply, shared memory, and notifications. -/
def flowPairs : List (Right × Right) :=
  [(.send, .receive), (.receive, .send), (.write, .read), (.signal, .wait)]

/-- Rights on another component's own object that move information into that component. -/
def toOwnerRights : List Right := [.write, .send, .control]

/-- Rights on another component's own object that move information out of that component. -/
def fromOwnerRights : List Right := [.read, .send, .control]

/-- Information can move from `a` to `b` in one step. A holder has a right on a target when
one of its caps to it carries that right. -/
inductive FlowStep (s : State) : Component → Component → Prop where
  | pair {a b : Component} {t : Target} {r1 r2 : Right} {rs1 rs2 : List Right} {b1 b2 : Nat} :
      (r1, r2) ∈ flowPairs → Cap.mk a t rs1 b1 ∈ s.caps → r1 ∈ rs1 →
      Cap.mk b t rs2 b2 ∈ s.caps → r2 ∈ rs2 → FlowStep s a b
  | toOwner {a b : Component} {k : ObjKind} {r : Right} {rs : List Right} {bd : Nat} :
      r ∈ toOwnerRights → Cap.mk a (.own b k) rs bd ∈ s.caps → r ∈ rs → FlowStep s a b
  | fromOwner {a b : Component} {k : ObjKind} {r : Right} {rs : List Right} {bd : Nat} :
      r ∈ fromOwnerRights → Cap.mk a (.own b k) rs bd ∈ s.caps → r ∈ rs → FlowStep s b a
  /-- A handle holder calls the object's server (request) ... -/
  | handleIn {h : Handle} : h ∈ s.handles → FlowStep s h.holder h.obj.server
  /-- ... and gets its reply. -/
  | handleOut {h : Handle} : h ∈ s.handles → FlowStep s h.obj.server h.holder

/-- Information can move from `a` to `b` in one or more steps. -/
inductive FlowPath (s : State) : Component → Component → Prop where
  | single {a b : Component} : FlowStep s a b → FlowPath s a b
  | cons {a b c : Component} : FlowStep s a b → FlowPath s b c → FlowPath s a c

end SMOS
