import SMOS.Model

/-!
# The properties P1–P7 (DESIGN.md §3)

Each property is a `Prop` about a system (`Sys`): P1–P3 and P5 about every state the kernel's
authority rules can reach, P7 about every state any permitted dynamic step can reach, P4 about
the policy, P6 about the channel network.
-/

namespace SMOS

/-- Nobody but `c` holds a cap to `c`'s TCB, CNode, VSpace or frames. -/
def PrivateTo (s : State) (c : Component) : Prop :=
  ∀ e, e ∈ s.caps → ∀ k, k ∈ privateKinds → e.target = .own c k → e.holder = c

/-- Every operation performed so far was permitted by the policy. -/
def Mediated (sys : Sys) (s : State) : Prop :=
  ∀ a, a ∈ s.log → Perm.mk a.subject.sid a.obj.sid a.obj.cls a.op ∈ sys.policy.allow

/-- Every server that implements an object holds a cap with send to the policy server's
endpoint. -/
def ServersConnected (sys : Sys) : Prop :=
  ∀ o, o ∈ sys.objects → ∃ e, e ∈ sys.caps ∧ e.holder = o.server ∧
    e.target = .own sys.policyServer .endpoint ∧ Right.send ∈ e.rights

/-- **P1 Complete mediation.** Every object's server holds a connection to the policy server;
nobody but the implementing server ever holds caps to its backing resources (TCB, CNode,
VSpace, frames); and every operation ever performed was decided by the policy server. -/
def CompleteMediation (sys : Sys) : Prop :=
  ServersConnected sys ∧
  (∀ s, KReachable sys s → ∀ o, o ∈ sys.objects → PrivateTo s o.server) ∧
  (∀ s, Reachable sys s → Mediated sys s)

/-- **P2 Tamper-proofness.** No sequence of kernel authority steps gives anyone but the policy
server a cap to the policy server's TCB, CNode, VSpace or frames. -/
def TamperProof (sys : Sys) : Prop :=
  ∀ s, KReachable sys s → PrivateTo s sys.policyServer

/-- Every right of every cap and every handle in `s` is permitted by the policy. -/
def ConformsIn (sys : Sys) (s : State) : Prop :=
  (∀ e, e ∈ s.caps → ∀ r, r ∈ e.rights →
    KPerm.mk e.holder.sid e.target.sid e.target.kind r ∈ sys.policy.kernelAllow) ∧
  (∀ h, h ∈ s.handles → Perm.mk h.holder.sid h.obj.sid h.obj.cls h.op ∈ sys.policy.allow)

/-- **P3 Authority conformance** (the shape of seL4's `pas_refined`): every authority edge the
system can ever have under the kernel's transfer rules is permitted by the policy. -/
def AuthorityConformance (sys : Sys) : Prop :=
  ∀ s, KReachable sys s → ConformsIn sys s

/-- The policy server's decision is the policy's. -/
def DecisionCorrect (p : Policy) : Prop :=
  ∀ (subject object : Sid) (cls : ClassId) (op : OpId),
    smosAuth p subject object cls op = true ↔ Perm.mk subject object cls op ∈ p.allow

/-- No permission violates a `neverallow` rule. -/
def PolicySane (p : Policy) : Prop :=
  (∀ t, t ∈ p.allow → t ∉ p.neverallow) ∧
  (∀ t, t ∈ p.kernelAllow → t ∉ p.kernelNeverallow)

/-- **P4 Decision correctness and policy sanity.** -/
def PolicyCorrect (p : Policy) : Prop :=
  DecisionCorrect p ∧ PolicySane p

/-- Every source → sink path of information in `s` is allowed by the flow policy. -/
def FlowSecureIn (sys : Sys) (s : State) : Prop :=
  ∀ a b, FlowPath s a b → FlowAllowed sys.policy a.sid b.sid

/-- **P5 Information-flow security**, for every state the kernel rules can reach. -/
def FlowSecurity (sys : Sys) : Prop :=
  ∀ s, KReachable sys s → FlowSecureIn sys s

/-- No feasible flow from `S` to `T` on `net` carries more than `k`. -/
def LeakageBound (net : List Arc) (S T : Nat → Bool) (k : Nat) : Prop :=
  ∀ f, IsFlow net S T f → netOut S f ≤ (k : Int)

/-- One budget holds on the network: at most `b.bits` from nodes labelled `b.source` to nodes
labelled `b.sink`. -/
def BudgetHolds (n : LeakNet) (b : Budget) : Prop :=
  LeakageBound n.arcs (n.labelled b.source) (n.labelled b.sink) b.bits

/-- **P6 Leakage bound.** Every budget of the policy holds on the channel network. -/
def LeakageBounded (p : Policy) (n : LeakNet) : Prop :=
  ∀ b, b ∈ p.budgets → BudgetHolds n b

/-- Everything P1, P2, P3 and P5 ask of one state. -/
def SecureIn (sys : Sys) (s : State) : Prop :=
  Mediated sys s ∧ (∀ o, o ∈ sys.objects → PrivateTo s o.server) ∧
  PrivateTo s sys.policyServer ∧ ConformsIn sys s ∧ FlowSecureIn sys s

/-- **P7 Dynamic safety.** Every state reachable by kernel steps and by every dynamic step the
policy permits (spawn, connect, open, call, pass a handle cap, close, revoke) is secure.
P4 and P6 do not depend on the state, so they are preserved by every step. -/
def DynamicSafety (sys : Sys) : Prop :=
  ∀ s, Reachable sys s → SecureIn sys s

end SMOS
