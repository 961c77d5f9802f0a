import SMOS.Certificate

/-!
# Checkers for the authority certificate (P1, P2, P3)

Each checker decides one condition of `KernelClosed`, `Closed`, `CertPrivate` or
`CertConforms` on concrete data; `SMOS.Thm.Authority` proves each sound. Nested `List.all`
loops are written so that the inner loops only run when the outer edge can take part in the
rule (`!condition || ...`).
-/

namespace SMOS

/-- The certificate covers the initial state. -/
def checkInit (sys : Sys) (cert : Certificate) : Bool :=
  sys.comps.all (fun c => memB c.abs cert.comps) &&
  (sys.caps.all (fun e => memB e.abs cert.caps) &&
   sys.handles.all (fun h => memB h.abs cert.handles))

/-- Closure under `KStep.grant`. -/
def checkGrant (A : List Edge) : Bool :=
  A.all fun g =>
    !(decide (g.right = .grant) && memB (Edge.mk g.holder g.target .send) A) ||
    A.all fun r =>
      !(decide (r.right = .receive) && decide (r.target = g.target)) ||
      A.all fun c =>
        !decide (c.holder = g.holder) || memB (Edge.mk r.holder c.target c.right) A

/-- Closure under `KStep.reply`. -/
def checkReply (A : List Edge) : Bool :=
  A.all fun g =>
    !(decide (g.right = .grantReply) && memB (Edge.mk g.holder g.target .send) A) ||
    A.all fun r =>
      !(decide (r.right = .receive) && decide (r.target = g.target)) ||
      (!memB (Edge.mk r.holder r.target .grant) A ||
        A.all fun c =>
          !decide (c.holder = r.holder) || memB (Edge.mk g.holder c.target c.right) A)

/-- Closure under `KStep.copyOut` and `KStep.copyIn` for one edge. -/
def cnodeClosedAt (A : List Edge) (g : Edge) : Bool :=
  match g.target with
  | .own b k =>
    !(decide (g.right = .control) && decide (k = .cnode)) ||
    A.all fun c =>
      (!decide (c.holder = b) || memB (Edge.mk g.holder c.target c.right) A) &&
      (!decide (c.holder = g.holder) || memB (Edge.mk b c.target c.right) A)
  | .chan _ _ _ => true

/-- Closure under `KStep.copyOut` and `KStep.copyIn`. -/
def checkCNode (A : List Edge) : Bool :=
  A.all (cnodeClosedAt A)

/-- Closure under `KStep.tcbCNode` and `KStep.tcbVSpace` for one edge. -/
def tcbClosedAt (A : List Edge) (g : Edge) : Bool :=
  match g.target with
  | .own b k =>
    !(decide (g.right = .control) && decide (k = .tcb)) ||
    (memB (Edge.mk g.holder (.own b .cnode) .control) A &&
     memB (Edge.mk g.holder (.own b .vspace) .control) A)
  | .chan _ _ _ => true

/-- Closure under `KStep.tcbCNode` and `KStep.tcbVSpace`. -/
def checkTcb (A : List Edge) : Bool :=
  A.all (tcbClosedAt A)

/-- Decides `KernelClosed`. -/
def checkKernelClosed (sys : Sys) (cert : Certificate) : Bool :=
  checkInit sys cert &&
  (checkGrant cert.caps &&
   (checkReply cert.caps &&
    (checkCNode cert.caps && checkTcb cert.caps)))

/-- Closure under `Step.spawn`. -/
def checkSpawn (sys : Sys) (cert : Certificate) : Bool :=
  cert.comps.all fun p => sys.policy.spawn.all fun rule =>
    !decide (rule.parent = p.sid) ||
    (memB (summary rule.child rule.role) cert.comps &&
     (memB (Edge.mk p (.own (summary rule.child rule.role) .tcb) .control) cert.caps &&
      (memB (Edge.mk p (.own (summary rule.child rule.role) .cnode) .control) cert.caps &&
       memB (Edge.mk p (.own (summary rule.child rule.role) .vspace) .control) cert.caps)))

/-- Closure under `Step.connect`. -/
def checkConnect (sys : Sys) (cert : Certificate) : Bool :=
  cert.comps.all fun c => cert.comps.all fun v => sys.policy.connect.all fun rule =>
    !(decide (rule.client = c.sid) && decide (rule.server = v.sid)) ||
    memB (Edge.mk c (.own v .endpoint) .send) cert.caps

/-- Closure under `Step.openObj`. -/
def checkOpen (sys : Sys) (cert : Certificate) : Bool :=
  sys.objects.all fun o => cert.caps.all fun e =>
    !(decide (e.target = .own o.server.abs .endpoint) && decide (e.right = .send)) ||
    sys.policy.allow.all fun perm =>
      !(decide (perm.subject = e.holder.sid) &&
        (decide (perm.object = o.sid) && decide (perm.cls = o.cls))) ||
      memB (Handle.mk e.holder o perm.op) cert.handles

/-- Closure under `Step.pass`. -/
def checkPass (sys : Sys) (cert : Certificate) : Bool :=
  cert.handles.all fun h => cert.comps.all fun r => sys.policy.pass.all fun rule =>
    !(decide (rule.sender = h.holder.sid) &&
      (decide (rule.receiver = r.sid) && decide (rule.cls = h.obj.cls))) ||
    memB (Handle.mk r h.obj h.op) cert.handles

/-- Decides `Closed`. -/
def checkClosed (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert &&
  (checkSpawn sys cert &&
   (checkConnect sys cert &&
    (checkOpen sys cert && checkPass sys cert)))

/-- `c` is an initial component and `CertPrivate cert c` holds. -/
def checkPrivate (cert : Certificate) (c : Component) : Bool :=
  !c.spawned &&
  cert.caps.all fun e => privateKinds.all fun k =>
    !decide (e.target = .own c k) || decide (e.holder = c)

/-- Decides `CertConforms`. -/
def checkConforms (sys : Sys) (cert : Certificate) : Bool :=
  cert.caps.all (fun e =>
    memB (KPerm.mk e.holder.sid e.target.sid e.target.kind e.right) sys.policy.kernelAllow) &&
  cert.handles.all (fun h =>
    memB (Perm.mk h.holder.sid h.obj.sid h.obj.cls h.op) sys.policy.allow)

/-- Decides `ServersConnected`. -/
def checkServersConnected (sys : Sys) : Bool :=
  sys.objects.all fun o =>
    memB (Edge.mk o.server (.own sys.policyServer .endpoint) .send) sys.caps

/-- The checker behind P1 (`complete_mediation_of_check`). -/
def checkCompleteMediation (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert &&
  (checkServersConnected sys && sys.objects.all (fun o => checkPrivate cert o.server))

/-- The checker behind P2 (`tamper_proof_of_check`). -/
def checkTamperProof (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert && checkPrivate cert sys.policyServer

/-- The checker behind P3 (`authority_conformance_of_check`). -/
def checkAuthorityConformance (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert && checkConforms sys cert

end SMOS
