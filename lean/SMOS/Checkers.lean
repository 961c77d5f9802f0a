import SMOS.Checkers.Authority
import SMOS.Checkers.Flow
import SMOS.Checkers.Policy
import SMOS.Checkers.Leakage
import SMOS.Checkers.Dynamic

/-!
# The trusted checkers

One `Bool` function per property over concrete data and a certificate. Each has a soundness
theorem in the file of the same name under `SMOS/Thm/`.
-/
