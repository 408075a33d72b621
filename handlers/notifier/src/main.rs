//! Lambda entry point: wiring only. The logic is `dropgate_notifier::handle`.

use aws_lambda_events::event::dynamodb::Event;
use dropgate_infra::{Clients, Config};
use lambda_runtime::{Error, LambdaEvent, service_fn};

// Lambda runs one invocation at a time: one thread is enough, and spares the start of a pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    dropgate_infra::logging::init();
    let config = Config::from_env()?;
    let clients = Clients::from_env(&config, "dropgate-notifier")?;
    let deps = dropgate_notifier::Deps::new(&config, &clients)?;
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, Error>(dropgate_notifier::handle(event.payload, deps).await)
    }))
    .await
}
