import SMOS.Checkers.Authority

/-!
# Checkers for the flow certificate (P5)

They decide the conditions of `FlowClosed` on concrete data; `SMOS.Thm.Flow` proves them
sound. `ruleEdges` lists the flow steps of the certificate's caps and handles rule by rule (one
pass over the caps per rule, a second only for caps to the same object); the certificate's graph
must contain each. Facts are checked edge by edge against the facts listed at its two ends, so no
check runs a nested loop over the whole certificate.
-/

namespace SMOS

/-- Every (component, target) that `Sends`: a cap with send, or a handle (to its server's
endpoint). -/
def sendPairs (cert : Certificate) : List (Component × Target) :=
  (cert.caps.filter fun e => memB Right.send e.rights).map (fun e => (e.holder, e.target)) ++
  cert.handles.map fun h => (h.holder, Target.own h.obj.server .endpoint)

/-- The caps with receive: few, so they are picked out once and each sender compared with them. -/
def receivers (cert : Certificate) : List Cap :=
  cert.caps.filter fun e => memB Right.receive e.rights

/-- `call` and `answer`: each sender and each receiver on an endpoint, both ways. -/
def callEdges (cert : Certificate) : List (Node × Node) :=
  (sendPairs cert).flatMap fun p =>
    ((receivers cert).filter fun e => decide (p.2.kind = .endpoint) &&
      (decide (e.target = p.2) && apartB p.1 e.holder)).flatMap
    fun e => [(.comp p.1, .comp e.holder), (.comp e.holder, .comp p.1)]

/-- `receiveAffects` (the other caps are looked at only for a cap carrying the right). -/
def receiveEdges (cert : Certificate) : List (Node × Node) :=
  cert.caps.flatMap fun e1 => (receiveRight e1.target.kind).toList.flatMap fun r =>
    if memB r e1.rights then
      (cert.caps.filter fun e2 => memB r e2.rights &&
        (decide (e2.target = e1.target) && apartB e1.holder e2.holder)).flatMap
      fun _ => [(.comp e1.holder, .chan e1.target), (.chan e1.target, .comp e1.holder)]
    else []

/-- `signal`. -/
def signalEdges (cert : Certificate) : List (Node × Node) :=
  (cert.caps.filter fun e => decide (e.target.kind = .notification)).flatMap fun e =>
    (if memB Right.signal e.rights then [(.comp e.holder, .chan e.target)] else []) ++
    (if memB Right.wait e.rights then [(.chan e.target, .comp e.holder)] else [])

/-- The memory node is not the holder itself. -/
def apartNodeB (m : Node) (a : Component) : Bool :=
  match m with
  | .comp c => apartB c a
  | .obj _ => true
  | .chan _ => true

/-- `memory`. -/
def memoryEdges (cert : Certificate) : List (Node × Node) :=
  cert.caps.flatMap fun e => (memoryNode e.target).toList.flatMap fun m =>
    if memB Right.read e.rights && apartNodeB m e.holder then
      (m, .comp e.holder) :: (if memB Right.write e.rights then [(.comp e.holder, m)] else [])
    else []

/-- `control`. -/
def controlEdges (cert : Certificate) : List (Node × Node) :=
  cert.caps.flatMap fun e => (controlled e.target).toList.flatMap fun c =>
    if memB Right.control e.rights && apartB e.holder c then
      [(.comp e.holder, .comp c), (.comp c, .comp e.holder)]
    else []

/-- Every (caller, sid it acts as) of server `srv` (`ActsAs`). -/
def actingOf (sys : Sys) (cert : Certificate) (srv : Component) : List (Component × Sid) :=
  ((sendPairs cert).filter fun p =>
    decide (p.2 = .own srv .endpoint) && apartB p.1 srv).map (fun p => (p.1, p.1.sid)) ++
  (cert.caps.filter fun e => decide (e.target = .own srv .endpoint) &&
    (memB Right.send e.rights && apartB e.holder srv)).flatMap fun e =>
    (sys.clients.filter fun d => decide (d.server = srv) &&
      (decide (e.badge = 0) || decide (e.badge = d.badge))).map fun d => (e.holder, d.sid)

/-- `object`. -/
def objectEdges (sys : Sys) (cert : Certificate) : List (Node × Node) :=
  sys.objects.flatMap fun o => (.comp o.server, .obj o) :: (.obj o, .comp o.server) ::
    (actingOf sys cert o.server).flatMap fun hs =>
      ((List.range sys.policy.allow.ops).filter fun op => sys.policy.allows ⟨hs.2, o.sid, o.cls, op⟩).flatMap fun op =>
        (if memB (o.cls, op) sys.policy.writes then [(.comp hs.1, .obj o)] else []) ++
        (if memB (o.cls, op) sys.policy.reads then [(.obj o, .comp hs.1)] else [])

/-- Every flow step of the certificate's caps and handles, rule by rule. -/
def ruleEdges (sys : Sys) (cert : Certificate) : List (Node × Node) :=
  callEdges cert ++ (receiveEdges cert ++ (signalEdges cert ++ (memoryEdges cert ++
    (controlEdges cert ++ objectEdges sys cert))))

/-- `FlowClosed.edges`. -/
def checkEdges (sys : Sys) (cert : Certificate) : Bool :=
  (ruleEdges sys cert).all fun p => memB p.2 (lookup cert.edges p.1)

/-- `FlowClosed.seed` and `FlowClosed.step`, edge by edge. -/
def checkFacts (sys : Sys) (cert : Certificate) : Bool :=
  cert.edges.all fun p => p.2.all fun v =>
    (labelsOf sys.policy p.1).all (fun l =>
      memB (l, leaveL sys.policy cert.trusted p.1 [l]) (lookup cert.facts v)) &&
    (lookup cert.facts p.1).all (fun f =>
      memB (f.1, leaveL sys.policy cert.trusted p.1 f.2) (lookup cert.facts v))

/-- `FlowClosed.allowed`. -/
def checkAllowed (sys : Sys) (cert : Certificate) : Bool :=
  cert.facts.all fun p => p.2.all fun f => (labelsOf sys.policy p.1).all fun lb =>
    f.2.any fun l => memB (l, lb) sys.policy.flows

/-- Decides `FlowClosed`. -/
def checkFlowClosed (sys : Sys) (cert : Certificate) : Bool :=
  sys.clients.all (fun d => memB d.badge cert.declared) &&
  (cert.handles.all (fun h => !h.obj.server.spawned) &&
   (sys.objects.all (fun o => !o.server.spawned) &&
    (checkEdges sys cert &&
     (checkFacts sys cert &&
      (checkAllowed sys cert && cert.trusted.all (checkUntampered cert))))))

/-- The checker behind P5 (`flow_security_of_check`). -/
def checkFlowSecurity (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert && checkFlowClosed sys cert

end SMOS
