//! The schedule poll: `schedule.yaml` and `eol.yaml`, each judged against the last good copy
//! (a well-formed file that lost minors was cut short, and is not data).

use super::{PollFailure, Polled, Poller, state::Update};
use crate::{
    k8s::eol::{check_eol_successor, check_schedule_successor},
    sources::{http::retry_after_at, schedule::ScheduleFetchError},
};

impl Poller {
    pub(super) async fn fetch_schedule(&self, now: i64) -> Polled {
        let failure = |error: ScheduleFetchError| PollFailure {
            message: error.to_string(),
            kind: error.kind(),
            not_before: error
                .retry_after()
                .and_then(|value| retry_after_at(value, now)),
        };
        let schedule = match self.schedule.fetch().await {
            Ok(schedule) => schedule,
            Err(error) => return Polled::failed(failure(error)),
        };
        let eol = self.schedule.fetch_eol().await;
        let today = chrono::DateTime::from_timestamp(now, 0)
            .map(|t| t.date_naive())
            .unwrap_or_default();
        let (previous_schedule, previous_eol) = {
            let state = self.state();
            (state.inputs.schedule.clone(), state.inputs.eol.clone())
        };
        let eol = match eol {
            Ok(eol) => match previous_eol
                .as_ref()
                .map(|previous| check_eol_successor(previous, &eol))
            {
                Some(Err(message)) => Err(PollFailure::new(message, "decode_error")),
                _ => Ok(eol),
            },
            Err(error) => Err(failure(error)),
        };
        let known_eol = eol.as_ref().ok().or(previous_eol.as_ref());
        if let Some(previous) = &previous_schedule {
            if let Err(message) = check_schedule_successor(previous, &schedule, known_eol, today) {
                return Polled::failed(PollFailure::new(message, "decode_error"));
            }
        }
        // The schedule is fresh even when eol.yaml failed; the source is down all the same.
        let (eol, failure) = match eol {
            Ok(eol) => (Some(eol), None),
            Err(failure) => (None, Some(failure)),
        };
        Polled {
            update: Some(Update::Schedule { schedule, eol }),
            failure,
        }
    }
}
