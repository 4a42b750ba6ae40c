//! Differential tests for SORT (work in progress).
