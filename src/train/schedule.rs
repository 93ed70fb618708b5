//! The learning-rate schedule: constant, or PyTorch's `ReduceLROnPlateau` as the iVAE
//! reference uses it (`factor = 0.1`, `patience = 0`, mode `min`, relative threshold 10⁻⁴,
//! `eps = 10⁻⁸`), stepped once per epoch with the epoch's mean training loss.
//!
//! An epoch is ⌊N / B⌋ steps (PyTorch's `DataLoader(drop_last=True)` length, at least 1):
//! the trainer takes vector data in shuffled epochs of that length (`train::source`); dSprites
//! images are drawn with replacement, and an epoch there is the same count of steps.

use serde::{Deserialize, Serialize};

pub use crate::settings::LrSchedule;

/// `ReduceLROnPlateau`'s multiplicative factor.
pub const FACTOR: f64 = 0.1;
/// Its relative improvement threshold (mode `rel`).
pub const THRESHOLD: f64 = 1e-4;
/// Its smallest change of the rate that is still applied.
pub const MIN_CHANGE: f64 = 1e-8;

/// The state of a schedule: the factor on the configured rate and, for `plateau`, the epoch
/// being summed and the best epoch mean so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    kind: LrSchedule,
    /// Steps per epoch, ⌊N / B⌋ ≥ 1.
    steps_per_epoch: u64,
    /// The factor on the configured learning rate (1 until the first reduction).
    scale: f64,
    /// Sum and count of the losses of the current epoch.
    sum: f64,
    count: u64,
    /// Best epoch mean so far (`None` before the first epoch ends).
    best: Option<f64>,
}

impl Schedule {
    /// A fresh schedule for a data set of `n` points trained in batches of `batch`.
    pub fn new(kind: LrSchedule, n: usize, batch: usize) -> Self {
        Self {
            kind,
            steps_per_epoch: (n / batch.max(1)).max(1) as u64,
            scale: 1.0,
            sum: 0.0,
            count: 0,
            best: None,
        }
    }

    /// The rate to apply now, given the configured `lr`.
    pub fn lr(&self, lr: f64) -> f64 {
        lr * self.scale
    }

    /// Steps per epoch.
    pub fn steps_per_epoch(&self) -> u64 {
        self.steps_per_epoch
    }

    /// Whether `steps` taken steps end an epoch (when the schedule reads the losses).
    pub fn epoch_ends_at(&self, steps: u64) -> bool {
        self.kind == LrSchedule::Plateau && steps > 0 && steps.is_multiple_of(self.steps_per_epoch)
    }

    /// Takes the loss of the next step, in step order; at the end of an epoch compares its
    /// mean with the best so far and divides the rate by 10 when it did not improve.
    /// `lr` is the configured rate (a reduction smaller than [`MIN_CHANGE`] is skipped).
    pub fn observe(&mut self, loss: f64, lr: f64) {
        if self.kind != LrSchedule::Plateau {
            return;
        }
        self.sum += loss;
        self.count += 1;
        if self.count < self.steps_per_epoch {
            return;
        }
        let mean = self.sum / self.count as f64;
        (self.sum, self.count) = (0.0, 0);
        // PyTorch's `is_better` in mode min, threshold mode rel (a NaN mean is no better).
        let improved = self.best.is_none_or(|best| mean < best * (1.0 - THRESHOLD));
        if improved {
            self.best = Some(mean);
        } else {
            let old = self.lr(lr);
            if old - old * FACTOR > MIN_CHANGE {
                self.scale *= FACTOR;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Epoch means that improve, stall, improve, improve by less than the threshold, then
    /// enough: PyTorch's ReduceLROnPlateau(factor=0.1, patience=0) leaves 0.01, 0.01, 0.001,
    /// 0.001, 0.0001, 0.0001 after the epochs (worked out by hand from its source).
    #[test]
    fn plateau_follows_pytorch_reduce_lr_on_plateau() {
        let mut s = Schedule::new(LrSchedule::Plateau, 10, 5); // 2 steps per epoch
        assert_eq!(s.steps_per_epoch(), 2);
        let epochs = [10.0, 9.0, 9.5, 8.0, 7.9999, 7.99];
        let want = [0.01, 0.01, 0.001, 0.001, 1e-4, 1e-4];
        for (e, (&mean, &lr)) in epochs.iter().zip(&want).enumerate() {
            // Two steps whose mean is the epoch mean.
            s.observe(mean - 1.0, 0.01);
            assert!(!s.epoch_ends_at(2 * e as u64 + 1));
            s.observe(mean + 1.0, 0.01);
            assert!(s.epoch_ends_at(2 * e as u64 + 2));
            assert!(
                (s.lr(0.01) - lr).abs() < 1e-12,
                "epoch {e}: {} vs {lr}",
                s.lr(0.01)
            );
        }
        // 7.99 < 8.0·(1 − 10⁻⁴) = 7.9992 improves; 7.9999 did not.
        assert_eq!(s.best, Some(7.99));
    }

    #[test]
    fn constant_never_changes_and_tiny_rates_stop_falling() {
        let mut c = Schedule::new(LrSchedule::Constant, 100, 10);
        for i in 0..50 {
            c.observe(i as f64, 0.01);
        }
        assert_eq!(c.lr(0.01), 0.01);
        assert!(!c.epoch_ends_at(10));
        // Full batch: one step per epoch; the rate stops at the first reduction below 1e-8.
        let mut p = Schedule::new(LrSchedule::Plateau, 10, 400);
        assert_eq!(p.steps_per_epoch(), 1);
        for _ in 0..20 {
            p.observe(1.0, 1e-6);
        }
        assert!((p.lr(1e-6) - 1e-8).abs() < 1e-20, "{}", p.lr(1e-6));
    }
}
