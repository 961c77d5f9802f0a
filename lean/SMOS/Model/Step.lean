import SMOS.Model.State

/-!
# The transition system

`KStep` is what the seL4 kernel lets components do with the caps they hold (cap transfer over
endpoints and replies, CNode and TCB control, revocation). `Step` adds the dynamic SMOS steps
the policy permits: spawn, connect, open and call (both mediated by the policy server),
passing a handle cap, and close. `KReachable` and `Reachable` are their reflexive-transitive
closures from the initial state.

`FlowStep` says when information can move between two components in a state; `FlowPath` is
its transitive closure.
-/

namespace SMOS

/-- One kernel-level authority step. -/
inductive KStep : State → State → Prop where
  /-- A sender holding send and grant on an endpoint passes any cap it holds to any component
  that receives on that endpoint. -/
  | grant {s : State} {snd rcv : Component} {ep t : Target} {r : Right} :
      Edge.mk snd ep .send ∈ s.caps → Edge.mk snd ep .grant ∈ s.caps →
      Edge.mk rcv ep .receive ∈ s.caps → Edge.mk snd t r ∈ s.caps →
      KStep s (s.addCap (Edge.mk rcv t r))
  /-- A caller holding send and grant-reply on an endpoint receives, in the reply, any cap a
  receiver on that endpoint holds, when the receiver's own cap to the endpoint has grant (the
  kernel gives the reply cap the receiver's grant right: seL4's `setupCallerCap`). -/
  | reply {s : State} {clt srv : Component} {ep t : Target} {r : Right} :
      Edge.mk clt ep .send ∈ s.caps → Edge.mk clt ep .grantReply ∈ s.caps →
      Edge.mk srv ep .receive ∈ s.caps → Edge.mk srv ep .grant ∈ s.caps →
      Edge.mk srv t r ∈ s.caps →
      KStep s (s.addCap (Edge.mk clt t r))
  /-- Control of `b`'s CNode lets `a` copy any of `b`'s caps out. -/
  | copyOut {s : State} {a b : Component} {t : Target} {r : Right} :
      Edge.mk a (.own b .cnode) .control ∈ s.caps → Edge.mk b t r ∈ s.caps →
      KStep s (s.addCap (Edge.mk a t r))
  /-- Control of `b`'s CNode lets `a` copy any of its own caps into it. -/
  | copyIn {s : State} {a b : Component} {t : Target} {r : Right} :
      Edge.mk a (.own b .cnode) .control ∈ s.caps → Edge.mk a t r ∈ s.caps →
      KStep s (s.addCap (Edge.mk b t r))
  /-- Control of `b`'s TCB gives control of `b`'s CNode ... -/
  | tcbCNode {s : State} {a b : Component} :
      Edge.mk a (.own b .tcb) .control ∈ s.caps →
      KStep s (s.addCap (Edge.mk a (.own b .cnode) .control))
  /-- ... and of `b`'s VSpace. -/
  | tcbVSpace {s : State} {a b : Component} :
      Edge.mk a (.own b .tcb) .control ∈ s.caps →
      KStep s (s.addCap (Edge.mk a (.own b .vspace) .control))
  /-- Revoke every cap to `t`. -/
  | revoke {s : State} (t : Target) : KStep s (s.revoke t)

/-- One step of a running SMOS system. -/
inductive Step (sys : Sys) : State → State → Prop where
  | kernel {s s' : State} : KStep s s' → Step sys s s'
  /-- A live component spawns a child, as a `spawn` rule permits. -/
  | spawn {s : State} {parent : Component} {rule : SpawnRule} :
      parent ∈ s.comps → rule ∈ sys.policy.spawn → rule.parent = parent.sid →
      Step sys s (s.spawn parent rule.child rule.role)
  /-- A live component connects to a live server, as a `connect` rule permits. -/
  | connect {s : State} {client server : Component} {rule : ConnectRule} :
      client ∈ s.comps → server ∈ s.comps → rule ∈ sys.policy.connect →
      rule.client = client.sid → rule.server = server.sid →
      Step sys s (s.addCap (Edge.mk client (.own server .endpoint) .send))
  /-- `obj_open`: a client calls the object's server, which holds a connection to the policy
  server and gets `smos_auth` = permit; the client receives a handle. -/
  | openObj {s : State} {client : Component} {o : SObj} {op : OpId} :
      o ∈ sys.objects →
      Edge.mk client (.own o.server .endpoint) .send ∈ s.caps →
      Edge.mk o.server (.own sys.policyServer .endpoint) .send ∈ s.caps →
      smosAuth sys.policy client.sid o.sid o.cls op = true →
      Step sys s (s.addHandle (Handle.mk client o op))
  /-- A call through a handle: the server asks the policy server again and acts only on
  permit; the operation is recorded in the log. -/
  | call {s : State} {h : Handle} :
      h ∈ s.handles →
      Edge.mk h.obj.server (.own sys.policyServer .endpoint) .send ∈ s.caps →
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
  | step {s s' : State} : KReachable sys s → KStep s s' → KReachable sys s'

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

/-- Information can move from `a` to `b` in one step. -/
inductive FlowStep (s : State) : Component → Component → Prop where
  | pair {a b : Component} {t : Target} {r1 r2 : Right} :
      (r1, r2) ∈ flowPairs → Edge.mk a t r1 ∈ s.caps → Edge.mk b t r2 ∈ s.caps →
      FlowStep s a b
  | toOwner {a b : Component} {k : ObjKind} {r : Right} :
      r ∈ toOwnerRights → Edge.mk a (.own b k) r ∈ s.caps → FlowStep s a b
  | fromOwner {a b : Component} {k : ObjKind} {r : Right} :
      r ∈ fromOwnerRights → Edge.mk a (.own b k) r ∈ s.caps → FlowStep s b a
  /-- A handle holder calls the object's server (request) ... -/
  | handleIn {h : Handle} : h ∈ s.handles → FlowStep s h.holder h.obj.server
  /-- ... and gets its reply. -/
  | handleOut {h : Handle} : h ∈ s.handles → FlowStep s h.obj.server h.holder

/-- Information can move from `a` to `b` in one or more steps. -/
inductive FlowPath (s : State) : Component → Component → Prop where
  | single {a b : Component} : FlowStep s a b → FlowPath s a b
  | cons {a b c : Component} : FlowStep s a b → FlowPath s b c → FlowPath s a c

end SMOS
