//! Work spread over every core, with the results in input order. Start-up with
//! thousands of revisions is reading and parsing them, and each file, each section, is
//! independent of the others.

use std::sync::{Mutex, OnceLock};

/// Items handed to a thread at a time: few enough that no thread idles while another
/// has a long tail, many enough that taking them is not the work.
const BATCH: usize = 16;

/// `items.iter().map(f).collect()`, on every core (up to 8) when there are at least
/// `min_parallel` items. The calling thread works too.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    min_parallel: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    // Asked once: the standard library reads the cgroup files each time.
    static CORES: OnceLock<usize> = OnceLock::new();
    let threads = *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    });
    if threads == 1 || items.len() < min_parallel.max(2) {
        return items.iter().map(f).collect();
    }
    // Each result is written straight into its place: `Option<R>` is usually the size
    // of `R`, so the final collect reuses the same memory.
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let batches = Mutex::new(items.chunks(BATCH).zip(results.chunks_mut(BATCH)));
    let work = || {
        while let Some((items, slots)) = batches.lock().ok().and_then(|mut b| b.next()) {
            for (item, slot) in items.iter().zip(slots) {
                *slot = Some(f(item));
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            // A thread the system refuses (a process or memory limit) is one fewer
            // worker, not a failure: the calling thread takes whatever is left.
            let _ = std::thread::Builder::new()
                .stack_size(crate::nesting::STACK_SIZE)
                .spawn_scoped(scope, work);
        }
        work();
    });
    results
        .into_iter()
        .map(|result| result.expect("every batch is taken by one thread and filled"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order_whatever_the_size() {
        for size in [0, 1, 15, 16, 17, 1000] {
            let items: Vec<usize> = (0..size).collect();
            let squares = map(&items, 1, |i| i * i);
            assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        }
    }
}
