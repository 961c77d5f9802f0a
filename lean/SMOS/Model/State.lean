import SMOS.Model.Policy

/-!
# Systems and states

`Sys` is the concrete system as booted: its policy, its policy server, the objects its
servers implement, the components, caps and handles it starts with, and what each untyped
covers. `State` is one
moment of a running system; `Sys.initial` is the state at hand-over.
-/

namespace SMOS

/-- A declared connection: a client of sid `sid` calls `server` with `badge`. The server knows its
caller only by the badge, so a caller holding that badge acts as `sid` (0: as every client). -/
structure Client where
  server : Component
  badge : Nat
  sid : Sid
  deriving DecidableEq, Repr

/-- A concrete SMOS system. -/
structure Sys where
  policy : Policy
  /-- The objects the servers implement. -/
  objects : List SObj
  /-- The components at hand-over. -/
  comps : List Component
  /-- The caps at hand-over, one by one. -/
  caps : List Cap
  /-- Handles held at hand-over (usually none). -/
  handles : List Handle
  /-- `(u, t)`: object `t` was made from untyped `u` (system key `untyped:`, `covers:`). -/
  covers : List (Target × Target)
  /-- The declared connections. -/
  clients : List Client
  /-- The policy server's decision table (what its program answers; P4 checks it). -/
  decisions : List Decision

/-- One moment of a running system. -/
structure State where
  comps : List Component
  caps : List Cap
  handles : List Handle
  /-- Every operation performed so far, most recent first. -/
  log : List Access
  /-- The serial number the next spawned component gets. -/
  nextId : Nat

def Sys.initial (sys : Sys) : State :=
  { comps := sys.comps, caps := sys.caps, handles := sys.handles, log := [], nextId := 0 }

def State.addCap (s : State) (e : Cap) : State :=
  { s with caps := e :: s.caps }

def State.addHandle (s : State) (h : Handle) : State :=
  { s with handles := h :: s.handles }

def State.record (s : State) (a : Access) : State :=
  { s with log := a :: s.log }

/-- Revoke every cap to `t`. -/
def State.revoke (s : State) (t : Target) : State :=
  { s with caps := s.caps.filter (fun e => !decide (e.target = t)) }

/-- Close a handle. -/
def State.close (s : State) (h : Handle) : State :=
  { s with handles := s.handles.filter (fun g => !decide (g = h)) }

/-- The component the next spawn creates. -/
def State.child (s : State) (sid : Sid) (role : Role) : Component :=
  ⟨s.nextId, sid, role, true⟩

/-- Spawn a component: the parent keeps control of the child's TCB, CNode and VSpace (it
needs them to set the child up, as seL4 requires). -/
def State.spawn (s : State) (parent : Component) (sid : Sid) (role : Role) : State :=
  { s with
    comps := s.child sid role :: s.comps,
    caps := Cap.mk parent (.own (s.child sid role) .tcb) [.control] 0 ::
      Cap.mk parent (.own (s.child sid role) .cnode) [.control] 0 ::
      Cap.mk parent (.own (s.child sid role) .vspace) [.control] 0 :: s.caps,
    nextId := s.nextId + 1 }

end SMOS
