//! The Lambda Runtime API as the benches serve it to a real bootstrap on loopback (the cold
//! init it takes, the memory it peaks at): its paths and serving a router on a free port.

use axum::Router;

/// Where a bootstrap asks for its next invocation (and, when it does, its init is over).
pub const NEXT_INVOCATION: &str = "/2018-06-01/runtime/invocation/next";
/// Where a bootstrap posts an invocation's answer.
pub const INVOCATION_RESPONSE: &str = "/2018-06-01/runtime/invocation/{id}/response";

/// Serves `app` on a free port of 127.0.0.1 until the process ends; returns the address a
/// bootstrap takes in `AWS_LAMBDA_RUNTIME_API` (`127.0.0.1:<port>`).
pub async fn serve(app: Router) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("runtime API stopped: {e}");
        }
    });
    Ok(addr)
}
