use gasstock_core::commands::Registration;
use gasstock_core::domain::Role;
use gasstock_core::Error;
use gasstock_tests::for_each_backend;

fn registration(email: &str, password: &str, role: &str) -> Registration {
    Registration {
        email: email.into(),
        password: password.into(),
        name: "Aline Uwase".into(),
        role: role.into(),
        phone: Some("+250788000000".into()),
        location: Some("Kigali".into()),
    }
}

#[tokio::test]
async fn register_then_verify_credentials() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let user = core.register(registration("Aline@Example.rw", "correct horse", "seller")).await.unwrap();
        assert_eq!(user.email, "aline@example.rw", "emails are normalised");
        assert_eq!(user.role, Role::Seller);
        assert_eq!(user.phone.as_deref(), Some("+250788000000"));

        let signed_in = core.verify_credentials("ALINE@example.rw", "correct horse").await.unwrap();
        assert_eq!(signed_in.id, user.id);

        let wrong_password = core.verify_credentials("aline@example.rw", "wrong horse").await.unwrap_err();
        let wrong_email = core.verify_credentials("nobody@example.rw", "correct horse").await.unwrap_err();
        assert!(matches!(wrong_password, Error::Unauthenticated(_)));
        assert_eq!(wrong_password.to_string(), wrong_email.to_string(), "no hint whether the email exists");
    })
    .await;
}

#[tokio::test]
async fn registration_rules() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        core.register(registration("dup@example.rw", "long enough", "buyer")).await.unwrap();
        let duplicate = core.register(registration("DUP@example.rw", "long enough", "seller")).await.unwrap_err();
        assert!(matches!(duplicate, Error::Conflict { code: "duplicate_email", .. }), "{duplicate:?}");

        for (reg, field) in [
            (registration("new@example.rw", "short", "buyer"), "password"),
            (registration("new@example.rw", "long enough", "admin"), "role"),
            (registration("new@example.rw", "long enough", "king"), "role"),
            (registration("not-an-email", "long enough", "buyer"), "email"),
        ] {
            let err = core.register(reg).await.unwrap_err();
            assert!(matches!(&err, Error::Invalid { field: f, .. } if f == field), "{err:?}");
        }
        assert!(core.user_by_email("new@example.rw").await.unwrap().is_none(), "nothing half-written");
    })
    .await;
}

#[tokio::test]
async fn admins_come_from_create_admin_only() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let admin = core.create_admin("root@example.rw", None, "long enough").await.unwrap();
        assert_eq!(admin.role, Role::Admin);
        assert_eq!(core.admin_actor("root@example.rw").await.unwrap().user_id, admin.id);

        core.register(registration("buyer@example.rw", "long enough", "buyer")).await.unwrap();
        assert!(matches!(core.admin_actor("buyer@example.rw").await, Err(Error::Forbidden(_))));
        assert!(matches!(core.admin_actor("ghost@example.rw").await, Err(Error::NotFound { .. })));
    })
    .await;
}

#[tokio::test]
async fn revoked_tokens_stay_revoked() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let expires = chrono::Utc::now() + chrono::Duration::hours(1);
        assert!(!core.is_token_revoked("jti-1").await.unwrap());
        core.revoke_token("jti-1", expires).await.unwrap();
        core.revoke_token("jti-1", expires).await.unwrap();
        assert!(core.is_token_revoked("jti-1").await.unwrap());
        assert!(!core.is_token_revoked("jti-2").await.unwrap());

        // Another store on the same database (another server instance) sees it too.
        let other = db.core().await;
        assert!(other.is_token_revoked("jti-1").await.unwrap());
    })
    .await;
}

/// Emails must be ASCII since look-alikes were refused at registration; an account stored
/// before that (here written straight to the store) still signs in with its own spelling, and
/// a look-alike of an ASCII account never matches it.
#[tokio::test]
async fn accounts_from_before_ascii_emails_still_sign_in() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let password = gasstock_core::domain::Password::new("correct horse").unwrap();
        let legacy = core
            .store()
            .insert_user(gasstock_core::store::NewUserRecord {
                email: "müller@example.rw".into(),
                name: "Müller".into(),
                role: Role::Buyer,
                phone: None,
                location: None,
                password_hash: gasstock_core::domain::hash_password(&password).unwrap(),
            })
            .await
            .unwrap();
        let signed_in = core.verify_credentials(" MÜLLER@example.rw ", "correct horse").await.unwrap();
        assert_eq!(signed_in.id, legacy.id);
        assert!(core.register(registration("müller@example.rw", "correct horse", "buyer")).await.is_err());

        core.register(registration("seller@example.rw", "correct horse", "seller")).await.unwrap();
        let look_alike = core.verify_credentials("s\u{0435}ller@example.rw", "correct horse").await.unwrap_err();
        assert!(matches!(look_alike, Error::Unauthenticated(_)));
    })
    .await;
}
