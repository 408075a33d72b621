//! Where a benchmark ran, for its report: what a command prints (git, rustc, uname) and the
//! machine in words.

/// The trimmed standard output of `cmd args`, if it ran and succeeded.
pub fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Cores, CPU model, kernel and architecture.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = command_line("uname", &["-sr"]).unwrap_or_default();
    format!(
        "{cores} cores ({cpu}), {kernel}, {}",
        std::env::consts::ARCH
    )
}
