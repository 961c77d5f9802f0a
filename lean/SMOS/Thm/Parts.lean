import SMOS.Thm.Authority
import SMOS.Thm.Flow
import SMOS.Thm.Policy
import SMOS.Thm.Dynamic

/-!
# Each property from its checker's parts

The same theorems as the `_of_check` ones, with the checker's conjuncts as separate hypotheses.
An instance module proves each part as a theorem of its own (`where` clauses of the property's
theorem): the kernel keeps everything it computes while it checks one declaration and lets it go
after, so a property whose checkers together exceed the memory of one run can still be checked
part by part. Each lemma only reassembles its checker (`both_true`), so it adds no assumption.
-/

namespace SMOS

/-- `checkKernelClosed` from each of its rules' checks (an instance module proves each as a
declaration of its own). -/
theorem checkKernelClosed_of_parts {sys : Sys} {cert : Certificate}
    (init : checkInit sys cert = true) (grant : checkGrant cert.capGroups = true)
    (reply : checkReply cert.capGroups = true) (cnode : checkCNode cert.capGroups = true)
    (derived : checkDerived cert.capGroups = true) (untyped : checkUntyped sys.covers cert.caps = true) :
    checkKernelClosed sys cert = true :=
  both_true init (both_true grant (both_true reply (both_true cnode (both_true derived untyped))))

/-- `checkConforms` from its caps' half and its handles' half, each a declaration of its own (at
1,000 components the whole ran Lean out of memory). -/
theorem checkConforms_of_parts {sys : Sys} {cert : Certificate}
    (caps : conformsCaps sys.policy cert.capGroups = true)
    (handles : conformsHandles sys.policy cert.handleGroups = true) : checkConforms sys cert = true :=
  both_true caps handles

/-- `conformsCaps` from the first `n` holders' groups and the rest (an instance module checks
the groups in chunks). -/
theorem conformsCaps_of_take_drop {p : Policy} {G : Groups Slot} (n : Nat)
    (h₁ : conformsCaps p (G.take n) = true) (h₂ : conformsCaps p (G.drop n) = true) :
    conformsCaps p G = true := by
  unfold conformsCaps at *
  exact all_of_take_drop n h₁ h₂

/-- `conformsHandles` from the first `n` holders' groups and the rest. -/
theorem conformsHandles_of_take_drop {p : Policy} {H : Groups Held} (n : Nat)
    (h₁ : conformsHandles p (H.take n) = true) (h₂ : conformsHandles p (H.drop n) = true) :
    conformsHandles p H = true := by
  unfold conformsHandles at *
  exact all_of_take_drop n h₁ h₂

/-- `checkIndex` from its checks, each a declaration of its own. -/
theorem checkIndex_of_parts {sys : Sys} {cert : Certificate} {I : CallerIndex}
    (callers : coversCallers I cert.capGroups = true) (clients : coversClients I sys.clients = true)
    (declared : declaredIn I cert.declared = true) (objects : objectsIn I sys.objects = true)
    (decisions : decisionsIn sys I = true) : checkIndex sys cert I = true :=
  both_true callers (both_true clients (both_true declared (both_true objects decisions)))

/-- `coversCallers` from the first `n` holders' groups and the rest. -/
theorem coversCallers_of_take_drop {I : CallerIndex} {G : Groups Slot} (n : Nat)
    (h₁ : coversCallers I (G.take n) = true) (h₂ : coversCallers I (G.drop n) = true) :
    coversCallers I G = true := by
  unfold coversCallers at *
  exact all_of_take_drop n h₁ h₂

/-- `opensByIndex` from the first `n` holders' groups of both kinds and the rest. -/
theorem opensByIndex_of_take_drop {I : CallerIndex} {G : Groups Slot} {H : Groups Held} (n : Nat)
    (h₁ : opensByIndex I (G.take n) (H.take n) = true) (h₂ : opensByIndex I (G.drop n) (H.drop n) = true) :
    opensByIndex I G H = true := by
  unfold opensByIndex at *
  exact allPairs_of_take_drop n h₁ h₂

/-- One component's `checkUntampered` from the pass for a list holding it (`checkUntamperedAll`). -/
theorem checkUntampered_of_all {cert : Certificate} {cs : List Component} {c : Component}
    (h : checkUntamperedAll cert cs = true) (hc : c ∈ cs) : checkUntampered cert c = true :=
  have hu := checkUntamperedAll_sound h hc
  checkUntampered_complete hu.1 hu.2

/-- The untampered part of P1 and P7 from one pass over the caps for every object server
(`checkUntamperedAll`), instead of one pass per object. -/
theorem untampered_of_all {sys : Sys} {cert : Certificate}
    (h : checkUntamperedAll cert (sys.objects.map SObj.server) = true) :
    sys.objects.all (fun o => untamperedAt cert o) = true :=
  List.all_eq_true.mpr fun o ho => checkUntampered_of_all h (List.mem_map.mpr ⟨o, ho, rfl⟩)

/-- `checkServersConnected` from one pass over the initial caps for every object. -/
theorem connected_of_all {sys : Sys} (h : checkServersConnectedAll sys = true) :
    checkServersConnected sys = true :=
  checkServersConnected_complete (checkServersConnectedAll_sound h)

/-- `checkRelied` from one pass over the caps for every component the verdict relies on. -/
theorem relied_of_all {sys : Sys} {cert : Certificate}
    (h : checkUntamperedAll cert (sys.comps.filter fun c => isPolicy c || trusts sys.policy c.sid) = true) :
    checkRelied sys cert = true := by
  unfold checkRelied
  exact List.all_eq_true.mpr fun c hc => imp_intro fun hsel =>
    checkUntampered_of_all h (List.mem_filter.mpr ⟨hc, hsel⟩)

/-- P1 from its parts: the certificate is kernel-closed, every object server is connected to a
policy server, every object server is untampered, and callers are distinct. -/
theorem complete_mediation_of_parts (sys : Sys) (cert : Certificate)
    (kernel : checkKernelClosed sys cert = true) (connected : checkServersConnected sys = true)
    (untampered : sys.objects.all (fun o => untamperedAt cert o) = true)
    (callers : checkCallersDistinct sys cert = true) : CompleteMediation sys :=
  complete_mediation_of_check sys cert (both_true kernel (both_true connected (both_true untampered callers)))

/-- P2 from its parts: the certificate is kernel-closed and everything relied on is untampered. -/
theorem tamper_proof_of_parts (sys : Sys) (cert : Certificate)
    (kernel : checkKernelClosed sys cert = true) (relied : checkRelied sys cert = true) :
    TamperProof sys :=
  tamper_proof_of_check sys cert (both_true kernel relied)

/-- P3 from its parts: the certificate is kernel-closed, conforms to the policy, and lets no
caller borrow an identity. -/
theorem authority_conformance_of_parts (sys : Sys) (cert : Certificate)
    (kernel : checkKernelClosed sys cert = true) (conforms : checkConforms sys cert = true)
    (noBorrow : checkNoBorrow sys cert = true) : AuthorityConformance sys :=
  authority_conformance_of_check sys cert (both_true kernel (both_true conforms noBorrow))

/-- P4 from its parts: the decision table follows `allow`, and the policy is sane. -/
theorem policy_correct_of_parts (sys : Sys) (decisions : checkDecisions sys = true)
    (sane : checkPolicySane sys.policy = true) : PolicyCorrect sys :=
  policy_correct_of_check sys (both_true decisions sane)

/-- P5 from its parts: the certificate is kernel-closed and flow-closed. -/
theorem flow_security_of_parts (sys : Sys) (cert : Certificate)
    (kernel : checkKernelClosed sys cert = true) (flow : checkFlowClosed sys cert = true) :
    FlowSecurity sys :=
  flow_security_of_check sys cert (both_true kernel flow)

/-- P7 from its parts: the certificate is closed under every kernel and dynamic step, and every
check behind P1 (but the initial connection), P2, P3 and P5 passes on it. -/
theorem dynamic_safety_of_parts (sys : Sys) (cert : Certificate)
    (kernel : checkKernelClosed sys cert = true) (spawn : checkSpawn sys cert = true)
    (connect : checkConnect sys cert = true) (opens : checkOpen sys cert = true)
    (pass : checkPass sys cert = true) (declared : checkDeclared sys cert = true)
    (untampered : sys.objects.all (fun o => untamperedAt cert o) = true)
    (callers : checkCallersDistinct sys cert = true) (relied : checkRelied sys cert = true)
    (conforms : checkConforms sys cert = true) (noBorrow : checkNoBorrow sys cert = true)
    (flow : checkFlowPart sys cert = true) : DynamicSafety sys :=
  dynamic_safety_of_check sys cert
    (both_true (both_true kernel (both_true spawn (both_true connect (both_true opens (both_true pass declared)))))
      (both_true untampered (both_true callers (both_true relied (both_true conforms (both_true noBorrow flow))))))

end SMOS
