import SMOS.Util

/-!
# Components, kernel objects, capabilities and handles

Every name of the concrete system (sid, class, operation, label) is a `Nat` chosen by the
emitter; the instance module lists the original names in comments. Numbers keep kernel
evaluation of the checkers fast (`Nat` equality is a primitive there).

Capabilities are kept one by one, as seL4 checks them: `Cap.mk holder target rights badge` is
one cap, and a rule whose premise names several rights needs one cap that carries them all (two
caps that together carry send and grant do not let their holder grant). A component's authority
over its own TCB, CNode, VSpace and frames is implicit and never listed (as in
`smosverify.model.authority.initial_caps`).
-/

namespace SMOS

/-- A security identifier (type), numbered by the emitter. -/
abbrev Sid := Nat
/-- A policy class (`file`, `socket`, ...), numbered by the emitter. -/
abbrev ClassId := Nat
/-- An operation of a policy class (`open`, `read`, ...), numbered by the emitter. -/
abbrev OpId := Nat
/-- A flow-policy label, numbered by the emitter. -/
abbrev Label := Nat

inductive Role where
  | client
  | server
  /-- The policy server: the reference monitor's decision point (`smos_auth`). -/
  | policy
  /-- Builds the system at boot, then hands over. -/
  | root
  deriving DecidableEq, Repr

/-- The seL4 rights a capability can carry. -/
inductive Right where
  | read
  | write
  | execute
  | send
  | receive
  | grant
  | grantReply
  | signal
  | wait
  | control
  deriving DecidableEq, Repr

/-- Kinds of kernel object a capability can name. -/
inductive ObjKind where
  | tcb
  | cnode
  | vspace
  /-- A component's private memory: its frames and the untyped they came from. -/
  | frames
  | endpoint
  /-- Shared memory. -/
  | region
  | notification
  /-- Untyped memory: whoever controls it controls every object made from it (`Sys.covers`). -/
  | untyped
  deriving DecidableEq, Repr

/-- Every right a cap to an object of kind `k` can carry, in `Right`'s order (what `untypedCover`
gives over a covered object). -/
def kindRights : ObjKind → List Right
  | .tcb | .cnode | .vspace | .untyped => [.control]
  | .frames | .region => [.read, .write, .execute]
  | .endpoint => [.send, .receive, .grant, .grantReply]
  | .notification => [.signal, .wait]

/-- What control of a VSpace gives over the frames mapped into it (`vspaceFrames`). -/
def memoryRights : List Right := [.read, .write, .execute]

/-- An unbadged cap to an object of this kind can be minted with any badge (`mint`). -/
def mintable (k : ObjKind) : Bool := decide (k = .endpoint) || decide (k = .notification)

/-- The kinds that make up a component's own protection domain (kept private by P1 and P2). -/
def privateKinds : List ObjKind := [.tcb, .cnode, .vspace, .frames]

/-- A protection domain. `spawned` is true for components created at run time; their `id`
is a fresh serial number. -/
structure Component where
  id : Nat
  sid : Sid
  role : Role
  spawned : Bool
  deriving Repr

/-- Components compared field by field in the steps the kernel computes fastest (`eqB` on the
numbers). The checkers compare components and targets in their inner loops, and a derived
`DecidableEq` unfolds `Nat.decEq` and its proof terms for every field; the kernel keeps all of it. -/
def Component.beq (a b : Component) : Bool :=
  eqB a.id b.id && (eqB a.sid b.sid && (decide (a.role = b.role) && (a.spawned == b.spawned)))

theorem Component.beq_iff : ∀ {a b : Component}, Component.beq a b = true ↔ a = b := by
  intro a b
  obtain ⟨i, s, r, p⟩ := a
  obtain ⟨i', s', r', p'⟩ := b
  simp [Component.beq, eqB]

instance : DecidableEq Component := fun _ _ => decidable_of_iff _ Component.beq_iff

/-- The kernel object a capability names: an object of one component (its TCB, CNode,
VSpace, frames or endpoint) or a shared object (a region, a notification or an untyped). -/
inductive Target where
  | own (owner : Component) (kind : ObjKind)
  | chan (kind : ObjKind) (id : Nat) (sid : Sid)
  deriving Repr

/-- Targets compared as `Component.beq` compares components. -/
def Target.beq : Target → Target → Bool
  | .own c k, .own c' k' => Component.beq c c' && decide (k = k')
  | .chan k i s, .chan k' i' s' => decide (k = k') && (eqB i i' && eqB s s')
  | _, _ => false

theorem Target.beq_iff : ∀ {a b : Target}, Target.beq a b = true ↔ a = b := by
  intro a b
  cases a <;> cases b <;> simp [Target.beq, Component.beq_iff, eqB]

instance : DecidableEq Target := fun _ _ => decidable_of_iff _ Target.beq_iff

def Target.sid : Target → Sid
  | .own c _ => c.sid
  | .chan _ _ s => s

def Target.kind : Target → ObjKind
  | .own _ k => k
  | .chan k _ _ => k

/-- One capability: `holder` holds a cap to `target` carrying `rights` (listed in `Right`'s
order) with `badge` (0: unbadged). -/
structure Cap where
  holder : Component
  target : Target
  rights : List Right
  badge : Nat
  deriving Repr

/-- Caps compared as `Component.beq` compares components, the badge first (the field that tells
most caps apart in one step). -/
def Cap.beq (a b : Cap) : Bool :=
  eqB a.badge b.badge &&
    (Target.beq a.target b.target && (Component.beq a.holder b.holder && decide (a.rights = b.rights)))

theorem Cap.beq_iff : ∀ {a b : Cap}, Cap.beq a b = true ↔ a = b := by
  intro a b
  obtain ⟨h, t, r, x⟩ := a
  obtain ⟨h', t', r', x'⟩ := b
  simp only [Cap.beq, Bool.and_eq_true, Component.beq_iff, Target.beq_iff, decide_eq_true_eq, Cap.mk.injEq]
  constructor
  · intro ⟨e1, e2, e3, e4⟩
    exact ⟨e3, e2, e4, eq_of_eqB e1⟩
  · intro ⟨e1, e2, e3, e4⟩
    exact ⟨eqB_of e4, e2, e1, e3⟩

instance : DecidableEq Cap := fun _ _ => decidable_of_iff _ Cap.beq_iff

/-- An object a server implements; clients reach it only through that server. -/
structure SObj where
  id : Nat
  cls : ClassId
  sid : Sid
  server : Component
  deriving Repr

/-- Objects compared as `Component.beq` compares components. -/
def SObj.beq (a b : SObj) : Bool :=
  eqB a.id b.id && (eqB a.cls b.cls && (eqB a.sid b.sid && Component.beq a.server b.server))

theorem SObj.beq_iff : ∀ {a b : SObj}, SObj.beq a b = true ↔ a = b := by
  intro a b
  obtain ⟨i, c, s, v⟩ := a
  obtain ⟨i', c', s', v'⟩ := b
  simp only [SObj.beq, Bool.and_eq_true, Component.beq_iff, SObj.mk.injEq]
  constructor
  · intro ⟨e1, e2, e3, e4⟩
    exact ⟨eq_of_eqB e1, eq_of_eqB e2, eq_of_eqB e3, e4⟩
  · intro ⟨e1, e2, e3, e4⟩
    exact ⟨eqB_of e1, eqB_of e2, eqB_of e3, e4⟩

instance : DecidableEq SObj := fun _ _ => decidable_of_iff _ SObj.beq_iff

/-- What a successful open returns: authority to perform `op` on `obj` through its server.
A handle cap can be passed on (`Step.pass`). -/
structure Handle where
  holder : Component
  obj : SObj
  op : OpId
  deriving DecidableEq, Repr

/-- An operation a server performed on an object for a subject (the trace of `Step.call`). -/
structure Access where
  subject : Component
  obj : SObj
  op : OpId
  deriving Repr

/-! ## The finite abstraction

Unboundedly many components can be spawned. Certificates therefore speak about abstract
components: an initial component stands for itself, and every spawned component of a given
sid and role is folded into one summary component (`id = 0`, `spawned = true`). The
abstraction keeps sid, role and the `spawned` flag, so every policy question has the same
answer for a component and its abstraction.
-/

/-- The summary component standing for every spawned component of `sid` and `role`. -/
def summary (sid : Sid) (role : Role) : Component := ⟨0, sid, role, true⟩

def Component.abs (c : Component) : Component :=
  { c with id := if c.spawned then 0 else c.id }

def Target.abs : Target → Target
  | .own c k => .own c.abs k
  | .chan k i s => .chan k i s

def Cap.abs (c : Cap) : Cap := ⟨c.holder.abs, c.target.abs, c.rights, c.badge⟩

def Handle.abs (h : Handle) : Handle := ⟨h.holder.abs, h.obj, h.op⟩

/-- Initial components are their own abstraction. -/
theorem Component.abs_of_not_spawned : ∀ (c : Component), c.spawned = false → c.abs = c
  | ⟨_, _, _, false⟩, _ => rfl
  | ⟨_, _, _, true⟩, h => nomatch h

theorem Target.sid_abs : ∀ (t : Target), t.abs.sid = t.sid
  | .own _ _ => rfl
  | .chan _ _ _ => rfl

theorem Target.kind_abs : ∀ (t : Target), t.abs.kind = t.kind
  | .own _ _ => rfl
  | .chan _ _ _ => rfl

end SMOS
