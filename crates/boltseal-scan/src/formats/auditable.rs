//! auditable (in progress).
