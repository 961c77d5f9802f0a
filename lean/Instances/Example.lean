import SMOS

/-!
# Instance `Example` (hand-written; follows the contract in docs/lean.md)

A client reads the pink file through the file server, which asks the policy server; clients
may spawn more clients and connect them to the file server.

Names (the emitter numbers every name in declaration order):
* sids: 0 = `user_t`, 1 = `fs_t`, 2 = `auth_t`, 3 = `file_t`
* classes: 0 = `file`; operations of `file`: 0 = `read`, 1 = `write`
* labels: 0 = `user`, 1 = `fs`, 2 = `auth`
* components: 0 = `client`, 1 = `fileserver`, 2 = `auth`
* objects: 0 = `pink_file`
* leakage-network nodes: 0 = `client`, 1 = `fileserver`, 2 = `auth`
-/

namespace Instances.Example
open SMOS

/-- component `client` -/
def comp0 : Component := ⟨0, 0, .client, false⟩
/-- component `fileserver` -/
def comp1 : Component := ⟨1, 1, .server, false⟩
/-- component `auth` (the policy server) -/
def comp2 : Component := ⟨2, 2, .policy, false⟩
/-- summary of every spawned component of sid `user_t` and role client -/
def summary0 : Component := summary 0 .client

/-- object `pink_file` -/
def obj0 : SObj := ⟨0, 0, 3, comp1⟩

def policy : Policy where
  /- `allow`: sid 0 may perform operation 0 of class 0 on objects of sid 3. One class and two
     operations, so that permission is bit (3 * 1 + 0) * 2 + 0 = 6 of sid 0's row. -/
  allow := ⟨1, 2, [(0, 0x40)]⟩
  /- `kernelAllow`: sid 0 may send to sid 1's endpoint, sid 1 receive on it and send to sid 2's,
     sid 2 receive on its own; then sid 0's authority over its own tcb, cnode, vspace and frames
     (bit (object * 8 + kind) * 10 + right, `KPerm.key`). -/
  kernelAllow := ⟨[
      (0, 0x8000000000000000000000000000000),
      (1, 0x800000000000000000010000000000000000000000000000000),
      (2, 0x1000000000000000000000000000000000000000000000000000),
      (0, 0x1e0080200)]⟩
  neverallow := [⟨0, 3, 0, 1⟩]
  kernelNeverallow := [
    ⟨0, 2, .tcb, .control⟩,
    ⟨0, 2, .cnode, .control⟩,
    ⟨0, 2, .vspace, .control⟩,
    ⟨0, 2, .frames, .read⟩,
    ⟨0, 2, .frames, .write⟩]
  labelOf := [(0, 0), (1, 1), (2, 2), (3, 1)]
  flows := [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
  order := [(0, 0), (1, 1), (2, 2)]
  trust := []
  reads := [(0, 0)]
  writes := [(0, 1)]
  budgets := [⟨0, 2, 8⟩]
  spawn := [⟨0, 0, .client⟩]
  connect := [⟨0, 1⟩]
  pass := []

def system : Sys where
  policy := policy
  objects := [obj0]
  comps := [comp0, comp1, comp2]
  caps := [
    ⟨comp0, .own comp1 .endpoint, [.send], 1⟩,
    ⟨comp1, .own comp1 .endpoint, [.receive], 0⟩,
    ⟨comp1, .own comp2 .endpoint, [.send], 1⟩,
    ⟨comp2, .own comp2 .endpoint, [.receive], 0⟩]
  handles := []
  covers := []
  clients := [⟨comp1, 1, 0⟩, ⟨comp2, 1, 1⟩]
  decisions := [⟨⟨0, 3, 0, 0⟩, true⟩, ⟨⟨0, 3, 0, 1⟩, false⟩]

/-- The closed authority set found by the dynamic-safety analysis. A parent controls its spawned
children's CNode, so parent and children copy each other's caps (the connection a child makes,
badge 2, not a declared badge, included); control of a child's VSpace gives its frames. The
flow graph lists each node's successors by the rules of `FlowStep`; the facts are the labels
reaching each node (every label may flow everywhere here). -/
def certificate : Certificate where
  comps := [comp0, comp1, comp2, summary0]
  capGroups := [
    (comp0, [
      ⟨.own comp1 .endpoint, [.send], 1⟩,
      ⟨.own comp1 .endpoint, [.send], 2⟩,
      ⟨.own summary0 .tcb, [.control], 0⟩,
      ⟨.own summary0 .cnode, [.control], 0⟩,
      ⟨.own summary0 .vspace, [.control], 0⟩,
      ⟨.own summary0 .frames, [.read, .write, .execute], 0⟩]),
    (comp1, [
      ⟨.own comp1 .endpoint, [.receive], 0⟩,
      ⟨.own comp2 .endpoint, [.send], 1⟩]),
    (comp2, [⟨.own comp2 .endpoint, [.receive], 0⟩]),
    (summary0, [
      ⟨.own comp1 .endpoint, [.send], 1⟩,
      ⟨.own comp1 .endpoint, [.send], 2⟩,
      ⟨.own summary0 .tcb, [.control], 0⟩,
      ⟨.own summary0 .cnode, [.control], 0⟩,
      ⟨.own summary0 .vspace, [.control], 0⟩,
      ⟨.own summary0 .frames, [.read, .write, .execute], 0⟩])]
  handleGroups := [(comp0, [⟨obj0, 0⟩]), (comp1, []), (comp2, []), (summary0, [⟨obj0, 0⟩])]
  declared := [1]
  trusted := []
  edges := [
    (.comp comp0, [.comp comp1, .comp summary0]),
    (.comp comp1, [.comp comp0, .comp comp2, .comp summary0, .obj obj0]),
    (.comp comp2, [.comp comp1]),
    (.comp summary0, [.comp comp0, .comp comp1, .comp summary0]),
    (.obj obj0, [.comp comp0, .comp comp1, .comp summary0])]
  facts := [
    (.comp comp0, [(0, [0]), (1, [1]), (2, [2])]),
    (.comp comp1, [(0, [0]), (1, [1]), (2, [2])]),
    (.comp comp2, [(0, [0]), (1, [1]), (2, [2])]),
    (.comp summary0, [(0, [0]), (1, [1]), (2, [2])]),
    (.obj obj0, [(0, [0]), (1, [1]), (2, [2])])]

/-- The channel network of the leakage analysis (capacities in bits per epoch). -/
def network : LeakNet where
  arcs := [⟨0, 1, 64⟩, ⟨1, 0, 64⟩, ⟨1, 2, 8⟩, ⟨2, 1, 1⟩]
  labels := [(0, 0), (1, 1), (2, 2)]

/-- One cut per budget: the nodes added to the sources to form the source side. -/
def cuts : List (Budget × List Nat) := [(⟨0, 2, 8⟩, [1])]

/-! The checks the property theorems below are assembled from, each proved once and cited by every
property that needs it (as `emit lean` writes them). -/

theorem part_kernel : checkKernelClosed system certificate = true := by decide +kernel

theorem part_connected_all : checkServersConnectedAll system = true := by decide +kernel

theorem part_connected : checkServersConnected system = true := connected_of_all part_connected_all

theorem part_untampered_all : checkUntamperedAll certificate (system.objects.map SObj.server) = true := by decide +kernel

theorem part_untampered : system.objects.all (fun o => untamperedAt certificate o) = true := untampered_of_all part_untampered_all

theorem part_callers : checkCallersDistinct system certificate = true := by decide +kernel

theorem part_relied_all : checkUntamperedAll certificate (system.comps.filter fun c => isPolicy c || trusts system.policy c.sid) = true := by decide +kernel

theorem part_relied : checkRelied system certificate = true := relied_of_all part_relied_all

theorem part_conforms_caps : conformsCaps system.policy certificate.capGroups = true := by decide +kernel

theorem part_conforms_handles : conformsHandles system.policy certificate.handleGroups = true := by decide +kernel

theorem part_conforms : checkConforms system certificate = true := checkConforms_of_parts part_conforms_caps part_conforms_handles

theorem part_noBorrow : checkNoBorrow system certificate = true := by decide +kernel

theorem part_decisions : checkDecisions system = true := by decide +kernel

theorem part_sane : checkPolicySane system.policy = true := by decide +kernel

theorem part_flow : checkFlowClosed system certificate = true := by decide +kernel

theorem part_leakage : checkLeakageBounded system.policy network cuts = true := by decide +kernel

theorem part_spawn : checkSpawn system certificate = true := by decide +kernel

theorem part_connect : checkConnect system certificate = true := by decide +kernel

theorem part_opens : checkOpen system certificate = true := by decide +kernel

theorem part_pass : checkPass system certificate = true := by decide +kernel

theorem part_declared : checkDeclared system certificate = true := by decide +kernel

theorem p1_complete_mediation : CompleteMediation system :=
  complete_mediation_of_parts system certificate part_kernel part_connected part_untampered part_callers

theorem p2_tamper_proof : TamperProof system :=
  tamper_proof_of_parts system certificate part_kernel part_relied

theorem p3_authority_conformance : AuthorityConformance system :=
  authority_conformance_of_parts system certificate part_kernel part_conforms part_noBorrow

theorem p4_policy_correct : PolicyCorrect system :=
  policy_correct_of_parts system part_decisions part_sane

theorem p5_flow_security : FlowSecurity system :=
  flow_security_of_parts system certificate part_kernel part_flow

theorem p6_leakage_bounded : LeakageBounded system.policy network :=
  leakage_bounded_of_check system.policy network cuts part_leakage

theorem p7_dynamic_safety : DynamicSafety system :=
  dynamic_safety_of_parts system certificate part_kernel part_spawn part_connect part_opens part_pass part_declared part_untampered part_callers part_relied part_conforms part_noBorrow part_flow

end Instances.Example
