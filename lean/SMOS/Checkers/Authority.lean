import SMOS.Certificate

/-!
# Checkers for the authority certificate (P1, P2, P3)

Each checker decides one condition of `KernelClosed`, `Closed`, `CertPrivate`, `CertConforms`,
`CertNoBorrow` or `CertCallersDistinct` on concrete data; `SMOS.Thm.Authority` proves each
sound. A rule's premise is checked on one cap (`memB r c.rights` for every right it names), as
`KStep` states it. Nested `List.all` loops are written so that the inner loops only run when the
outer cap can take part in the rule (`!condition || ...`).
-/

namespace SMOS

/-- The certificate covers the initial state. The initial components and caps are first looked
for as one subsequence of the certificate's (the emitter lists them in the certificate's order):
one walk, where searching the whole list for each ran the kernel out of memory at 100
components; the search stays as the fallback, so the checker is still complete. -/
def checkInit (sys : Sys) (cert : Certificate) : Bool :=
  (sublistB (sys.comps.map Component.abs) cert.comps || sys.comps.all (fun c => memB c.abs cert.comps)) &&
  ((sublistB (sys.caps.map Cap.abs) cert.caps || sys.caps.all (fun e => memB e.abs cert.caps)) &&
   sys.handles.all (fun h => memB h.abs cert.handles))

/-- `f holder slot` for every cap of the groups, walked group by group: at 1,000 components a
walk of `capsOf` took the kernel 9.0 s, of the groups 3.8 s, and comparing every cap with itself
as a whole `Cap` 29 s, as a `Slot` 6.9 s. -/
def allSlots (G : Groups Slot) (f : Component → Slot → Bool) : Bool :=
  G.all fun g => g.2.all (f g.1)

/-- The caps of the groups that pass `p`, picked out group by group: the same list as
`(capsOf G).filter p` (`capsWhere_eq`), for less of the kernel's work (at 1,000 components a walk
of the groups took it 3.8 s, of `capsOf` 9.0 s). -/
def capsWhere (G : Groups Slot) (p : Cap → Bool) : List Cap :=
  G.flatMap fun g => (g.2.filter fun s => p (s.cap g.1)).map (Slot.cap g.1)

/-- The caps of the groups that pass `p`, each as its target and its holder's group. -/
def pickedBy (G : Groups Slot) (p : Slot → Bool) : List (Target × (Component × List Slot)) :=
  G.flatMap fun g => (g.2.filter p).map fun s => (s.target, g)

/-- Closure under `KStep.grant`, a group's holder's caps found by `held`: for every cap with send
and grant and every cap with receive to the same endpoint, the receiver holds everything the
sender holds. The caps with receive are picked out once (few caps carry it), and two holders'
caps are compared in one walk (`includedB`: the emitter lists every holder's caps in one order). -/
def grantWith (G : Groups Slot) (held : Component × List Slot → List Slot) : Bool :=
  G.all fun g => g.2.all fun s => !(memB Right.send s.rights && memB Right.grant s.rights) ||
    (pickedBy G fun v => memB Right.receive v.rights).all fun v =>
      !decide (v.1 = s.target) || includedB (held g) (held v.2)

/-- Closure under `KStep.reply`, a group's holder's caps found by `held`: for every caller's cap
with send and grant or grantReply and every cap with receive and grant to the same endpoint, the
caller holds everything the receiver holds. -/
def replyWith (G : Groups Slot) (held : Component × List Slot → List Slot) : Bool :=
  G.all fun g => g.2.all fun s =>
    !(memB Right.send s.rights && (memB Right.grant s.rights || memB Right.grantReply s.rights)) ||
    (pickedBy G fun v => memB Right.receive v.rights && memB Right.grant v.rights).all fun v =>
      !decide (v.1 = s.target) || includedB (held v.2) (held g)

/-- A rule checked with each holder's caps taken from its group when every holder has one
(`holdersApart`), else found among all groups (`heldBy`; at 1,000 components, looking up the
holders of 800 pairs of caps ran the kernel out of memory, taking their groups checked). -/
def byGroups (G : Groups Slot) (rule : Groups Slot → (Component × List Slot → List Slot) → Bool) : Bool :=
  (holdersApart G && rule G Prod.snd) || rule G fun g => heldBy G g.1

/-- Closure under `KStep.grant`. -/
def checkGrant (G : Groups Slot) : Bool := byGroups G grantWith

/-- Closure under `KStep.reply`. -/
def checkReply (G : Groups Slot) : Bool := byGroups G replyWith

/-- Closure under `KStep.copyOut` and `KStep.copyIn` for one cap: control of `x`'s CNode makes
the two holders hold the same. -/
def cnodeClosedAt (G : Groups Slot) (g : Cap) : Bool :=
  match g.target with
  | .own x k =>
    !(decide (k = .cnode) && memB Right.control g.rights) ||
    (includedB (heldBy G x) (heldBy G g.holder) && includedB (heldBy G g.holder) (heldBy G x))
  | .chan _ _ _ => true

/-- Closure under `KStep.copyOut` and `KStep.copyIn`. -/
def checkCNode (G : Groups Slot) : Bool :=
  allSlots G fun a s => cnodeClosedAt G (s.cap a)

/-- Closure under `KStep.tcbCNode`, `KStep.tcbVSpace` and `KStep.vspaceFrames` for one cap. -/
def derivedAt (A : List Cap) (g : Cap) : Bool :=
  match g.target with
  | .own x k =>
    !memB Right.control g.rights ||
    ((!decide (k = .tcb) ||
      (memB (Cap.mk g.holder (.own x .cnode) [Right.control] 0) A &&
       memB (Cap.mk g.holder (.own x .vspace) [Right.control] 0) A)) &&
     (!decide (k = .vspace) || memB (Cap.mk g.holder (.own x .frames) memoryRights 0) A))
  | .chan _ _ _ => true

/-- Closure under `KStep.tcbCNode`, `KStep.tcbVSpace` and `KStep.vspaceFrames`. -/
def checkDerived (G : Groups Slot) : Bool :=
  allSlots G fun a s => derivedAt (capsOf G) (s.cap a)

/-- Closure under `KStep.untypedCover`, for every (untyped, covered object) pair. -/
def checkUntyped (covers : List (Target × Target)) (A : List Cap) : Bool :=
  covers.all fun ut => A.all fun g =>
    !(decide (g.target = ut.1.abs) && memB Right.control g.rights) ||
    memB (Cap.mk g.holder ut.2.abs (kindRights ut.2.kind) 0) A

/-- Decides `KernelClosed`. -/
def checkKernelClosed (sys : Sys) (cert : Certificate) : Bool :=
  checkInit sys cert &&
  (checkGrant cert.capGroups &&
   (checkReply cert.capGroups &&
    (checkCNode cert.capGroups &&
     (checkDerived cert.capGroups && checkUntyped sys.covers cert.caps))))

/-- Closure under `Step.spawn` (the rules outside: a policy has few, a certificate many
components). -/
def checkSpawn (sys : Sys) (cert : Certificate) : Bool :=
  sys.policy.spawn.all fun rule => cert.comps.all fun p =>
    !eqB rule.parent p.sid ||
    (memB (summary rule.child rule.role) cert.comps &&
     (memB (Cap.mk p (.own (summary rule.child rule.role) .tcb) [Right.control] 0) cert.caps &&
      (memB (Cap.mk p (.own (summary rule.child rule.role) .cnode) [Right.control] 0) cert.caps &&
       memB (Cap.mk p (.own (summary rule.child rule.role) .vspace) [Right.control] 0) cert.caps)))

/-- `c` holds a cap with send to `v`'s endpoint. -/
def sendsTo (A : List Cap) (c v : Component) : Bool :=
  A.any fun e =>
    decide (e.holder = c) && (decide (e.target = .own v .endpoint) && memB Right.send e.rights)

/-- Closure under `Step.connect` (one send cap to the server stands for every badge; the rules
outside, and the servers looked at only for a component the rule's client sid names). -/
def checkConnect (sys : Sys) (cert : Certificate) : Bool :=
  sys.policy.connect.all fun rule => cert.comps.all fun c => !eqB rule.client c.sid ||
    cert.comps.all fun v => !eqB rule.server v.sid || sendsTo cert.caps c v

/-- Closure under `Step.openObj` at object `o`: every request the decision table permits. The
permitted decisions about `o` are picked out once, and each holder's caps are walked beside its
handles (the emitter lists both groups for the same holders in the same order), so a caller is
compared with those decisions alone and its handles are found without a search. -/
def openAt (sys : Sys) (cert : Certificate) (o : SObj) : Bool :=
  let P := sys.decisions.filter fun d => d.permit && (eqB d.req.object o.sid && eqB d.req.cls o.cls)
  allPairs (fun g hg => decide (g.1 = hg.1) && g.2.all fun s =>
    !(decide (s.target = .own o.server.abs .endpoint) && memB Right.send s.rights) ||
    P.all fun d => !eqB d.req.subject g.1.sid || memB (Held.mk o d.req.op) hg.2)
    cert.capGroups cert.handleGroups

/-- Closure under `Step.openObj`, object by object (an instance module may check each object's
part as a declaration of its own, `all_cons_of`). -/
def checkOpen (sys : Sys) (cert : Certificate) : Bool :=
  sys.objects.all fun o => openAt sys cert o

/-- Closure under `Step.pass` (the rules outside; the receivers looked at only for a handle the
rule's sender and class name). -/
def checkPass (sys : Sys) (cert : Certificate) : Bool :=
  sys.policy.pass.all fun rule => cert.handles.all fun h =>
    !(eqB rule.sender h.holder.sid && eqB rule.cls h.obj.cls) ||
    cert.comps.all fun r => !eqB rule.receiver r.sid || memB (Handle.mk r h.obj h.op) cert.handles

/-- `Closed.declared`: every badge the certificate calls declared is a declared connection's. -/
def checkDeclared (sys : Sys) (cert : Certificate) : Bool :=
  cert.declared.all fun n => sys.clients.any fun d => decide (d.badge = n)

/-- Decides `Closed`. -/
def checkClosed (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert &&
  (checkSpawn sys cert &&
   (checkConnect sys cert &&
    (checkOpen sys cert && (checkPass sys cert && checkDeclared sys cert))))

/-- `c` is an initial component and `CertPrivate cert c` holds. -/
def checkPrivate (cert : Certificate) (c : Component) : Bool :=
  !c.spawned &&
  cert.caps.all fun e => privateKinds.all fun k =>
    !decide (e.target = .own c k) || decide (e.holder = c)

/-- `c` is an initial component and `CertUntampered cert c` holds. -/
def checkUntampered (cert : Certificate) (c : Component) : Bool :=
  checkPrivate cert c &&
  cert.caps.all fun e =>
    !(decide (e.target = .own c .endpoint) && memB Right.receive e.rights) || decide (e.holder = c)

/-- A cap that only `c` may hold if `c` is to be untampered, when it names an object of `c` of
kind `k`: one to a private object, or one with receive on the endpoint (`CertUntampered`). -/
def guardedB (k : ObjKind) (e : Cap) : Bool :=
  memB k privateKinds || (decide (k = .endpoint) && memB Right.receive e.rights)

/-- `e` leaves every component of `cs` untampered: a guarded cap to an object of one of them is
that one's own. The kind is looked at first, so most caps (send to an endpoint) cost no search
of `cs`. -/
def untamperedCapB (cs : List Component) (e : Cap) : Bool :=
  match e.target with
  | .own c k => !guardedB k e || (decide (e.holder = c) || !memB c cs)
  | .chan _ _ _ => true

/-- `checkUntampered` for every component of `cs` in one pass over the caps, where checking each
component scans them all again (at 1,000 components, 50 object servers, 50 scans of 11,004 caps). -/
def checkUntamperedAll (cert : Certificate) (cs : List Component) : Bool :=
  cs.all (fun c => !c.spawned) && cert.caps.all (untamperedCapB cs)

/-- Every right of every cap of the groups is in `kernelAllow`, holder by holder: each holder's
rows are picked out once (`KPermSet.only`), and each right is one bit of them. -/
def conformsCaps (p : Policy) (G : Groups Slot) : Bool :=
  G.all fun g =>
    let K := p.kernelAllow.only g.1.sid
    g.2.all fun s => s.rights.all fun r => K.has ⟨g.1.sid, s.target.sid, s.target.kind, r⟩

/-- Every handle of the groups is in `allow`, holder by holder (`PermSet.only`). -/
def conformsHandles (p : Policy) (H : Groups Held) : Bool :=
  H.all fun g =>
    let A := p.allow.only g.1.sid
    g.2.all fun x => A.has ⟨g.1.sid, x.obj.sid, x.obj.cls, x.op⟩

/-- Decides `CertConforms`: the caps' half and the handles' half (an instance module checks each
as a declaration of its own). -/
def checkConforms (sys : Sys) (cert : Certificate) : Bool :=
  conformsCaps sys.policy cert.capGroups && conformsHandles sys.policy cert.handleGroups

/-- `c` is a policy server. -/
def isPolicy (c : Component) : Bool := decide (c.role = .policy)

/-- `ServersConnected` at object `o`: its server is a policy server or can call one. -/
def connectedAt (sys : Sys) (o : SObj) : Bool :=
  isPolicy o.server || sys.comps.any fun p => isPolicy p && sendsTo sys.caps o.server p

/-- Decides `ServersConnected`, object by object. -/
def checkServersConnected (sys : Sys) : Bool :=
  sys.objects.all fun o => connectedAt sys o

/-- The holders of a cap in `sys.caps` with send on a policy server's endpoint, picked out in one
pass over the initial caps (the policy servers are few). -/
def policyCallers (sys : Sys) : List Component :=
  (sys.caps.filter fun e => memB Right.send e.rights &&
    (sys.comps.filter isPolicy).any fun p => decide (e.target = .own p .endpoint)).map Cap.holder

/-- `ServersConnected` decided with one pass over the initial caps for all objects
(`policyCallers`), where `connectedAt` scans them once per object. -/
def checkServersConnectedAll (sys : Sys) : Bool :=
  sys.objects.all fun o => isPolicy o.server || memB o.server (policyCallers sys)

/-- `o`'s server is initial and untampered (`checkUntampered`). -/
def untamperedAt (cert : Certificate) (o : SObj) : Bool := checkUntampered cert o.server


/-- Some `trusted` declaration of `p` names `sid`. -/
def trusts (p : Policy) (sid : Sid) : Bool :=
  p.trust.any fun r => decide (r.subject = sid)

/-- Decides that the certificate shows every component the verdict relies on (`Relied`)
initial and untampered. -/
def checkRelied (sys : Sys) (cert : Certificate) : Bool :=
  sys.comps.all fun c => !(isPolicy c || trusts sys.policy c.sid) || checkUntampered cert c

/-- The checker behind P2 (`tamper_proof_of_check`). -/
def checkTamperProof (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert && checkRelied sys cert

/-- `Apart` decided. -/
def apartB (a b : Component) : Bool := !decide (a = b) || a.spawned

/-- A listed cap with send to the endpoint of `o`'s server, held by a component apart from the
server: a caller of the server. -/
def callerB (o : SObj) (e : Cap) : Bool :=
  decide (e.target = .own o.server.abs .endpoint) &&
    (memB Right.send e.rights && apartB e.holder o.server.abs)

/-- `BadgesMeet` decided. -/
def meetB (b₁ b₂ : Nat) : Bool :=
  eqB b₁ b₂ || (eqB b₁ 0 || eqB b₂ 0)

/-- No two of `cs`, callers of `o`'s server, with sids that differ and badges that meet: every
`allow` entry of the first sid on `o` has the second sid's twin in `allow` (both orders of each
pair are visited). -/
def callersDistinctAt (sys : Sys) (o : SObj) (cs : List Cap) : Bool :=
  cs.all fun e₁ => cs.all fun e₂ => eqB e₁.holder.sid e₂.holder.sid ||
    (!meetB e₁.badge e₂.badge || sys.policy.allowsAllOf e₁.holder.sid e₂.holder.sid o.sid o.cls)

/-- `CertCallersDistinct` at object `o`: its server's callers are picked out once, and only their
pairs are compared. -/
def callersAt (sys : Sys) (cert : Certificate) (o : SObj) : Bool :=
  callersDistinctAt sys o (capsWhere cert.capGroups (callerB o))

/-- Decides `CertCallersDistinct`, object by object. -/
def checkCallersDistinct (sys : Sys) (cert : Certificate) : Bool :=
  sys.objects.all fun o => callersAt sys cert o

/-- The checker behind P1 (`complete_mediation_of_check`). -/
def checkCompleteMediation (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert &&
  (checkServersConnected sys &&
   (sys.objects.all (fun o => untamperedAt cert o) && checkCallersDistinct sys cert))

/-- `BadgeCovers D b' b .endpoint` decided, given whether `b` is declared: a listed badge `b'`
stands for `b` (the same badge, an unbadged cap, or two badged ones where `b` is no declared
connection's). -/
def coversB (b' b : Nat) (declared : Bool) : Bool :=
  eqB b' b || (eqB b' 0 || (!eqB b 0 && !declared))

/-- `BadgeCovers D b' b .endpoint` decided. -/
def badgeCoversB (D : List Nat) (b' b : Nat) : Bool := coversB b' b (memB b D)

/-- `CertNoBorrow` at object `o`. For every listed cap with send to `o`'s server's endpoint held
by someone apart from the server, and every declared client of that server whose badge the cap's
stands for, every `allow` entry of the client's sid on `o` must have the holder's sid's twin in
`allow`. The server's clients are picked out once, each with whether its badge is declared, so a
caller is compared with them alone and no badge list is searched per pair. -/
def noBorrowAt (sys : Sys) (cert : Certificate) (o : SObj) : Bool :=
  let ds := (sys.clients.filter fun d => decide (d.server = o.server)).map fun d =>
    (d, memB d.badge cert.declared)
  (capsWhere cert.capGroups (callerB o)).all fun e =>
    ds.all fun dd => !coversB e.badge dd.1.badge dd.2 ||
      sys.policy.allowsAllOf dd.1.sid e.holder.sid o.sid o.cls

/-- Decides `CertNoBorrow`, object by object. -/
def checkNoBorrow (sys : Sys) (cert : Certificate) : Bool :=
  sys.objects.all fun o => noBorrowAt sys cert o

/-- One server's callers and declared clients, by badge: the sids of the components holding a
listed cap with send and that badge to its endpoint, and the sids of its declared clients with
that badge. -/
structure ServerIndex where
  callers : KTree (List Sid)
  clients : KTree (List Sid)
  /-- Its objects. -/
  objects : List SObj
  deriving Repr

/-- The callers, clients and objects of every server (keyed by the abstract server's
`Component.key`), the declared badges (keyed by badge) and the permitted opens, built by the
emitter beside the certificate. With it an object's part of `CertCallersDistinct` and
`CertNoBorrow` compares the sids its server's index lists for a badge, and `Closed.openObj` is one
pass over the caps for all objects, where the checks without it walk every listed cap (and every
declared client) once per object: at 1,000 components 11,004 caps and 9,468 clients, 25 s, 63 s
and 28 s of the kernel's time per object. Nothing trusts it: `checkIndex` shows that it lists
everything, and the proofs use only that two lookups of one key find one entry. -/
structure CallerIndex where
  servers : KTree ServerIndex
  declared : KTree Unit
  /-- For each object (keyed by its id), the operations the decision table permits on it, by
  subject sid. -/
  opens : KTree (KTree (List OpId))
  deriving Repr

/-- What the index lists for server `x` (nothing when it has no entry for `x`). -/
def CallerIndex.at (I : CallerIndex) (x : Component) : ServerIndex :=
  (I.servers.find? x.key).getD ⟨.leaf, .leaf, []⟩

/-- The operations on `o` the index lists as permitted to `sid`. -/
def CallerIndex.opsAt (I : CallerIndex) (o : SObj) (sid : Sid) : List OpId :=
  ((I.opens.find? o.id).getD .leaf).listAt sid

/-- The holder `h` of slot `s`, if it is a caller of the server whose endpoint `s` names, is listed
among that server's callers with `s`'s badge. -/
def callerIn (I : CallerIndex) (h : Component) (s : Slot) : Bool :=
  match s.target with
  | .own x k => !(decide (k = .endpoint) && (memB Right.send s.rights && apartB h x)) ||
      memB h.sid ((I.at x).callers.listAt s.badge)
  | .chan _ _ _ => true

/-- Every caller of every server is in the index: one pass over the caps, holder by holder. -/
def coversCallers (I : CallerIndex) (G : Groups Slot) : Bool :=
  G.all fun g => g.2.all (callerIn I g.1)

/-- Every declared client is in the index, under its server and badge. -/
def coversClients (I : CallerIndex) (cs : List Client) : Bool :=
  cs.all fun d => memB d.sid ((I.at d.server.abs).clients.listAt d.badge)

/-- Every badge the index calls declared is. -/
def declaredIn (I : CallerIndex) (D : List Nat) : Bool :=
  I.declared.all fun b _ => memB b D

/-- Every object is among its server's objects in the index. -/
def objectsIn (I : CallerIndex) (os : List SObj) : Bool :=
  os.all fun o => memB o (I.at o.server.abs).objects

/-- Every open of an object the decision table permits is in the index. -/
def decisionsIn (sys : Sys) (I : CallerIndex) : Bool :=
  sys.objects.all fun o => sys.decisions.all fun d =>
    !(d.permit && (eqB d.req.object o.sid && eqB d.req.cls o.cls)) || memB d.req.op (I.opsAt o d.req.subject)

/-- The index lists every caller and every declared client, only declared badges as declared,
every object under its server and every permitted open. -/
def checkIndex (sys : Sys) (cert : Certificate) (I : CallerIndex) : Bool :=
  coversCallers I cert.capGroups && (coversClients I sys.clients && (declaredIn I cert.declared &&
    (objectsIn I sys.objects && decisionsIn sys I)))

/-- Closure under `Step.openObj` from the index, for every object in one pass over the holders'
caps beside their handles (aligned as `openAt` has them): a cap with send on a server's endpoint
gives its holder a handle for every operation the index lists for the holder's sid on each of the
server's objects. At 1,000 components `openAt` walked the 11,004 caps once per object, 28 s of the
kernel's time each. -/
def opensByIndex (I : CallerIndex) (G : Groups Slot) (H : Groups Held) : Bool :=
  allPairs (fun g hg => decide (g.1 = hg.1) && g.2.all fun s =>
    match s.target with
    | .own x k => !(decide (k = .endpoint) && memB Right.send s.rights) ||
        (I.at x).objects.all fun o => (I.opsAt o g.1.sid).all fun op => memB (Held.mk o op) hg.2
    | .chan _ _ _ => true) G H

/-- `CertCallersDistinct` at object `o` from the index: the callers listed under one badge are
compared with each other, and the unbadged ones (badge 0, which meets every badge) with every
caller, both ways. -/
def callersByIndex (sys : Sys) (I : CallerIndex) (o : SObj) : Bool :=
  let t := (I.at o.server.abs).callers
  let same := fun a b => eqB a b || sys.policy.allowsAllOf a b o.sid o.cls
  t.all (fun _ S => S.all fun a => S.all fun b => same a b) &&
  (t.listAt 0).all fun z => t.all fun _ S => S.all fun a => same z a && same a z

/-- `CertNoBorrow` at object `o` from the index: each declared client of `o`'s server, with badge
`b`, against the callers the index lists with badge `b`, with badge 0, and, when `b` is badged
and not declared (any badged cap stands for it), every caller; a caller of the client's own sid
needs no comparison. -/
def noBorrowByIndex (sys : Sys) (I : CallerIndex) (o : SObj) : Bool :=
  let ix := I.at o.server.abs
  let gives := fun (c : Sid) (S : List Sid) => S.all fun a => eqB c a || sys.policy.allowsAllOf c a o.sid o.cls
  ix.clients.all fun b C => C.all fun c =>
    gives c (ix.callers.listAt b) && (gives c (ix.callers.listAt 0) &&
      (eqB b 0 || ((I.declared.find? b).isSome || ix.callers.all fun _ S => gives c S)))

/-- The checker behind P3 (`authority_conformance_of_check`). -/
def checkAuthorityConformance (sys : Sys) (cert : Certificate) : Bool :=
  checkKernelClosed sys cert && (checkConforms sys cert && checkNoBorrow sys cert)

end SMOS
