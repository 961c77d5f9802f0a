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

/-- Nobody but `c` holds a cap to `c`'s TCB, CNode, VSpace or frames, or receives on its endpoint
(the P1 and P2 condition: otherwise others control what `c` does or sees, or take its requests). -/
def Untampered (s : State) (c : Component) : Prop :=
  PrivateTo s c ∧
  ∀ e, e ∈ s.caps → e.target = .own c .endpoint → Right.receive ∈ e.rights → e.holder = c

/-- Every operation performed so far was permitted by the policy server (its decision table;
P4 says the table is the policy's). -/
def Mediated (sys : Sys) (s : State) : Prop :=
  ∀ a, a ∈ s.log → smosAuth sys.decisions (Perm.mk a.subject.sid a.obj.sid a.obj.cls a.op) = true

/-- Every server that implements an object and is not itself a policy server holds a cap with
send to the endpoint of a policy server (a component of role `policy`). -/
def ServersConnected (sys : Sys) : Prop :=
  ∀ o, o ∈ sys.objects → o.server.role = .policy ∨
    ∃ p, p ∈ sys.comps ∧ p.role = .policy ∧ ∃ e, e ∈ sys.caps ∧ e.holder = o.server ∧
      e.target = .own p .endpoint ∧ Right.send ∈ e.rights

/-- A server tells apart the callers the policy treats differently: a server knows a caller only
by the badge of the cap the call came through, so two components other than the server of `o`
that hold caps with send and the same badge to its endpoint must have sids the policy permits
the same operations on `o` (Python's `ambiguous-badge`; an unbadged cap meets every badge by
`KStep.mint`). -/
def CallersDistinct (sys : Sys) (s : State) : Prop :=
  ∀ e₁ e₂, e₁ ∈ s.caps → e₂ ∈ s.caps → ∀ o, o ∈ sys.objects →
    e₁.target = .own o.server .endpoint → e₂.target = .own o.server .endpoint →
    Right.send ∈ e₁.rights → Right.send ∈ e₂.rights →
    e₁.holder ≠ o.server → e₂.holder ≠ o.server → e₁.badge = e₂.badge →
    ∀ op, Perm.mk e₁.holder.sid o.sid o.cls op ∈ sys.policy.allow →
      Perm.mk e₂.holder.sid o.sid o.cls op ∈ sys.policy.allow

/-- **P1 Complete mediation.** Every object's server holds a connection to a policy server (or
is one); nobody but the implementing server ever holds caps to its backing resources (TCB,
CNode, VSpace, frames) or receives on its endpoint (which would intercept its requests); no two
callers the server cannot tell apart are treated differently by the policy; and every operation
ever performed was decided by the policy server's table. -/
def CompleteMediation (sys : Sys) : Prop :=
  ServersConnected sys ∧
  (∀ s, KReachable sys s → ∀ o, o ∈ sys.objects → Untampered s o.server) ∧
  (∀ s, KReachable sys s → CallersDistinct sys s) ∧
  (∀ s, Reachable sys s → Mediated sys s)


/-- Every right of every cap and every handle in `s` is permitted by the policy. -/
def ConformsIn (sys : Sys) (s : State) : Prop :=
  (∀ e, e ∈ s.caps → ∀ r, r ∈ e.rights →
    KPerm.mk e.holder.sid e.target.sid e.target.kind r ∈ sys.policy.kernelAllow) ∧
  (∀ h, h ∈ s.handles → Perm.mk h.holder.sid h.obj.sid h.obj.cls h.op ∈ sys.policy.allow)

/-- No caller borrows an identity that opens more (Python's `borrowed-identity`): whoever but
`o`'s server holds a cap with send to that server's endpoint whose badge names a declared client
`d` of the server (badge 0, an unbadged cap, can be minted with any badge, so it names every
client) can call the server as `d.sid`; every operation on `o` the policy permits `d.sid` must
then be permitted to the holder's own sid. -/
def NoBorrowedIdentity (sys : Sys) (s : State) : Prop :=
  ∀ e, e ∈ s.caps → ∀ o, o ∈ sys.objects → e.target = .own o.server .endpoint →
    Right.send ∈ e.rights → e.holder ≠ o.server →
    ∀ d, d ∈ sys.clients → d.server = o.server → (e.badge = 0 ∨ e.badge = d.badge) →
    ∀ op, Perm.mk d.sid o.sid o.cls op ∈ sys.policy.allow →
      Perm.mk e.holder.sid o.sid o.cls op ∈ sys.policy.allow

/-- **P3 Authority conformance** (the shape of seL4's `pas_refined`): every authority edge the
system can ever have under the kernel's transfer rules is permitted by the policy, and no caller
can, by a badge it holds, act at a server as a sid the policy permits more there than its own. -/
def AuthorityConformance (sys : Sys) : Prop :=
  ∀ s, KReachable sys s → ConformsIn sys s ∧ NoBorrowedIdentity sys s

/-- Every decision of the policy server's table is the policy's: it permits exactly what
`allow` (after deny) holds. -/
def DecisionCorrect (sys : Sys) : Prop :=
  ∀ d, d ∈ sys.decisions → (d.permit = true ↔ d.req ∈ sys.policy.allow)

/-- No permission violates a `neverallow` rule. -/
def PolicySane (p : Policy) : Prop :=
  (∀ t, t ∈ p.allow → t ∉ p.neverallow) ∧
  (∀ t, t ∈ p.kernelAllow → t ∉ p.kernelNeverallow)

/-- **P4 Decision correctness and policy sanity.** The policy server's decision table is the
policy's, and the policy violates no `neverallow`. -/
def PolicyCorrect (sys : Sys) : Prop :=
  DecisionCorrect sys ∧ PolicySane sys.policy

/-- The components a verdict relies on: the initial components of role `policy` (every
decision comes from one of them) and those whose sid a `trusted` declaration names (information
passes through them only because their code is trusted). -/
def Relied (sys : Sys) (c : Component) : Prop :=
  c ∈ sys.comps ∧ (c.role = .policy ∨ ∃ r, r ∈ sys.policy.trust ∧ r.subject = c.sid)

/-- Nobody can tamper with a component the verdict relies on. -/
def ReliedUntampered (sys : Sys) (s : State) : Prop :=
  ∀ c, Relied sys c → Untampered s c

/-- **P2 Tamper-proofness.** No sequence of kernel authority steps gives anyone but the
component itself a cap to the TCB, CNode, VSpace or frames of a component the verdict relies on
(the policy servers, trusted components), or lets anyone else receive on its endpoint. -/
def TamperProof (sys : Sys) : Prop :=
  ∀ s, KReachable sys s → ReliedUntampered sys s

/-- A trusted component's trust is honoured when nobody can tamper with it in any state `reach`
admits; otherwise it is void and flows through it are checked like anyone's. -/
def Honoured (reach : State → Prop) (c : Component) : Prop :=
  ∀ s, reach s → Untampered s c

/-- Every fact that can reach a labelled node may arrive there: some label it may be treated as
may flow to the node's label (the flow policy's `flows`). -/
def FlowSecureIn (sys : Sys) (H : Component → Prop) (s : State) : Prop :=
  ∀ src m v, Carries sys H s src m v → ∀ lb, lb ∈ labelsOf sys.policy v →
    ∃ l, m l ∧ (l, lb) ∈ sys.policy.flows

/-- **P5 Information-flow security**, for every state the kernel rules can reach, trusting the
trusted components nobody can tamper with in any such state. -/
def FlowSecurity (sys : Sys) : Prop :=
  ∀ s, KReachable sys s → FlowSecureIn sys (Honoured (KReachable sys)) s

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
  Mediated sys s ∧ (∀ o, o ∈ sys.objects → Untampered s o.server) ∧ CallersDistinct sys s ∧
  ReliedUntampered sys s ∧ ConformsIn sys s ∧ NoBorrowedIdentity sys s ∧
  FlowSecureIn sys (Honoured (Reachable sys)) s

/-- **P7 Dynamic safety.** Every state reachable by kernel steps and by every dynamic step the
policy permits (spawn, connect, open, call, pass a handle cap, close, revoke) is secure.
P4 and P6 do not depend on the state, so they are preserved by every step. -/
def DynamicSafety (sys : Sys) : Prop :=
  ∀ s, Reachable sys s → SecureIn sys s

end SMOS
