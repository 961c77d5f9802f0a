import Lake
open Lake DSL

/-! The SMOS verification library: core Lean 4 only, no dependencies. -/

package smos where
  -- no dependencies: core Lean 4 only

/-- The model, properties, checkers and their soundness theorems. -/
@[default_target]
lean_lib SMOS where
  -- roots default to `SMOS` (the file `SMOS.lean`)

/-- One module per example system, written by `smosverify emit lean`. -/
@[default_target]
lean_lib Instances where
  globs := #[.submodules `Instances]
