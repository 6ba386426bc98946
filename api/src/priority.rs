//! Background work that must not slow requests down: password hashing and the alert
//! senders run their threads at a low priority (nice 10). When requests compete for the
//! CPU they win, and the background work takes the time that is left.

/// Lowers the calling thread's priority; threads it starts afterwards inherit it.
pub(crate) fn lower_current_thread(what: &str) {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let Ok(value) = ThreadPriorityValue::try_from(25u8) else {
        return;
    };
    if let Err(error) = set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Crossplatform(value),
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
    ) {
        tracing::warn!(?error, "cannot lower the priority of {what}");
    }
}
