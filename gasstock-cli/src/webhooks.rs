//! `gasstock webhooks add | list | remove | deliveries`: subscriptions of integrations (SMS
//! gateway, mobile money, dashboards) to status events, and how their deliveries went. The
//! running server delivers them (signed, retried with backoff); this only manages them.

use std::io::{BufRead, IsTerminal, Write};

use clap::{Args, Subcommand};
use gasstock_core::domain::WebhookDeliveryStatus;
use gasstock_core::webhooks::{Webhook, WebhookAttempt, WebhookDelivery};

use crate::context::Context;
use crate::error::CliError;
use crate::output::{emit, opt, time, Listing};
use crate::paging::first;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Subscribe a URL to event types; prints the webhook's id and its generated signing secret.
    Add(AddArgs),
    /// Subscribed URLs, oldest first (secrets masked unless --show-secrets; credentials in
    /// URLs stored by earlier versions always masked).
    List(ListArgs),
    /// Remove a webhook and its delivery log (asks, or pass --yes).
    Remove(RemoveArgs),
    /// Opt an existing webhook in to a host that is not public (or out, with --revoke): for
    /// webhooks added before targets were checked, whose refused deliveries then go out at
    /// their next retry.
    AllowPrivateHost(AllowArgs),
    /// Deliveries, newest first: status, attempts, last error (--attempts: every attempt).
    Deliveries(DeliveriesArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Where to POST the events: an http:// or https:// URL.
    pub url: String,
    /// Event types, comma-separated or repeated: order.created, order.approved, order.rejected,
    /// order.cancelled, order.invoiced, order.delivered, invoice.submitted, invoice.approved,
    /// invoice.rejected, payment.released, stock.low, or * for all.
    #[arg(long, required = true, value_name = "TYPES")]
    pub events: Vec<String>,
    /// Allow this webhook's host to be, or resolve to, an address that is not public
    /// (loopback, private, link-local, ...): a receiver inside your own network. Without it
    /// such targets are refused when added and again at every delivery.
    #[arg(long)]
    pub allow_private_host: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print the full signing secrets.
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct AllowArgs {
    pub id: i64,
    /// Turn the opt-in off instead.
    #[arg(long)]
    pub revoke: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    pub id: i64,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// Only this webhook's deliveries.
    #[arg(long, value_name = "ID")]
    pub webhook: Option<i64>,
    /// List every attempt (HTTP status, error, duration) instead of one line per delivery.
    #[arg(long)]
    pub attempts: bool,
    /// At most this many (newest first).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,
}

pub async fn run(ctx: &Context, command: WebhooksCommand) -> Result<(), CliError> {
    let actor = ctx.admin().await?;
    match command {
        WebhooksCommand::Add(args) => {
            let hook = ctx.core.add_webhook(&actor, &args.url, &args.events, args.allow_private_host).await?;
            emit(ctx.format, &hook, &webhooks_listing(std::slice::from_ref(&hook)))?;
            if ctx.format == crate::output::Format::Table {
                eprintln!(
                    "Keep the secret: receivers verify the Gasstock-Signature header with it \
                     (HMAC-SHA256 of \"<t>.<body>\")."
                );
            }
            Ok(())
        }
        WebhooksCommand::List(args) => {
            let hooks = ctx.core.webhooks(&actor).await?;
            let shown: Vec<Webhook> = hooks
                .into_iter()
                .map(|hook| if args.show_secrets { hook } else { Webhook { secret: mask(&hook.secret), ..hook } })
                .collect();
            emit(ctx.format, &shown, &webhooks_listing(&shown))
        }
        WebhooksCommand::AllowPrivateHost(args) => {
            let hook = ctx.core.set_webhook_private_host(&actor, args.id, !args.revoke).await?;
            let hook = Webhook { secret: mask(&hook.secret), ..hook };
            emit(ctx.format, &hook, &webhooks_listing(std::slice::from_ref(&hook)))
        }
        WebhooksCommand::Remove(args) => {
            if !args.yes {
                let hooks = ctx.core.webhooks(&actor).await?;
                let hook = hooks.iter().find(|hook| hook.id == args.id);
                let what = match hook {
                    Some(hook) => format!("webhook {} ({}, events {})", hook.id, hook.url, hook.events),
                    // The core answers "not found" below.
                    None => format!("webhook {}", args.id),
                };
                if hook.is_some() && !confirm(&format!("Remove {what} and its delivery log?"))? {
                    return Err(CliError::Usage("not removed: confirm, or pass --yes".into()));
                }
            }
            ctx.core.remove_webhook(&actor, args.id).await?;
            let json = serde_json::json!({ "removed": args.id });
            let mut listing = Listing::new(&["removed"]);
            listing.row(vec![args.id.to_string()]);
            emit(ctx.format, &json, &listing)
        }
        WebhooksCommand::Deliveries(args) if args.attempts => {
            let attempts =
                first(args.limit as usize, |page| ctx.core.webhook_attempts(&actor, args.webhook, page)).await?;
            emit(ctx.format, &attempts, &attempts_listing(&attempts))
        }
        WebhooksCommand::Deliveries(args) => {
            let deliveries =
                first(args.limit as usize, |page| ctx.core.webhook_deliveries(&actor, args.webhook, page)).await?;
            emit(ctx.format, &deliveries, &deliveries_listing(&deliveries))
        }
    }
}

/// Asks on the terminal; without one, refuses (the caller must pass --yes).
fn confirm(question: &str) -> Result<bool, CliError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::Usage(format!("{question} Pass --yes to confirm (stdin is not a terminal).")));
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().map_err(|err| CliError::Io(err.to_string()))?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).map_err(|err| CliError::Io(format!("cannot read the answer: {err}")))?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// `whsec_ab…ef12`: enough to tell secrets apart.
fn mask(secret: &str) -> String {
    let keep = 4;
    if secret.len() <= "whsec_".len() + 2 * keep {
        return "…".into();
    }
    let start = secret.strip_prefix("whsec_").map_or(0, |_| "whsec_".len());
    format!("{}{}…{}", &secret[..start], &secret[start..start + keep], &secret[secret.len() - keep..])
}

fn webhooks_listing(hooks: &[Webhook]) -> Listing {
    let mut listing = Listing::new(&["id", "url", "events", "secret", "created_at", "allow_private_host"]);
    for hook in hooks {
        listing.row(vec![
            hook.id.to_string(),
            hook.url.clone(),
            hook.events.clone(),
            hook.secret.clone(),
            time(&hook.created_at),
            hook.allow_private_host.to_string(),
        ]);
    }
    listing
}

fn deliveries_listing(deliveries: &[WebhookDelivery]) -> Listing {
    let mut listing = Listing::new(&[
        "id",
        "webhook_id",
        "event_id",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "finished_at",
    ]);
    for delivery in deliveries {
        listing.row(vec![
            delivery.id.to_string(),
            delivery.webhook_id.to_string(),
            delivery.event_id.to_string(),
            delivery.event.clone(),
            delivery.status.to_string(),
            delivery.attempts.to_string(),
            if delivery.status == WebhookDeliveryStatus::Pending {
                time(&delivery.next_attempt_at)
            } else {
                String::new()
            },
            opt(delivery.last_error.as_ref()),
            time(&delivery.created_at),
            opt(delivery.finished_at.as_ref().map(time)),
        ]);
    }
    listing
}

fn attempts_listing(attempts: &[WebhookAttempt]) -> Listing {
    let mut listing = Listing::new(&[
        "id",
        "delivery_id",
        "webhook_id",
        "event_id",
        "event",
        "attempt",
        "status_code",
        "error",
        "duration_ms",
        "at",
    ]);
    for attempt in attempts {
        listing.row(vec![
            attempt.id.to_string(),
            attempt.delivery_id.to_string(),
            attempt.webhook_id.to_string(),
            attempt.event_id.to_string(),
            attempt.event.clone(),
            attempt.attempt.to_string(),
            opt(attempt.status_code),
            opt(attempt.error.as_ref()),
            attempt.duration_ms.to_string(),
            time(&attempt.created_at),
        ]);
    }
    listing
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn secrets_are_masked_but_distinguishable() {
        let secret = format!("whsec_{}", "0123456789abcdef".repeat(4));
        assert_eq!(mask(&secret), "whsec_0123…cdef");
        assert_eq!(mask("short"), "…");
    }
}
