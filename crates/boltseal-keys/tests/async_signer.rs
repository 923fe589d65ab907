//! `AsyncSigner` as a remote signer implements it: the key lives on another thread (standing in
//! for a KMS or an HSM), requests travel over a channel and answers come back through a
//! waker-driven one-shot slot. Its signatures verify with the public key it reports; a signer
//! that cannot reach its key answers `SignError::Backend`; the blanket impl gives every sync
//! `Signer` the async interface.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use boltseal_keys::{AsyncSigner, PrivateKey, PublicKey, SignError, SignFuture, Signer};

/// The answer slot a request carries: the result, and who to wake when it arrives.
#[derive(Default)]
struct Slot {
    result: Option<Result<Vec<u8>, SignError>>,
    waker: Option<Waker>,
}

type Request = (Vec<u8>, Arc<Mutex<Slot>>);

/// A signer whose key is elsewhere: only its public key is here.
struct RemoteSigner {
    public_key: PublicKey,
    requests: Mutex<mpsc::Sender<Request>>,
}

impl RemoteSigner {
    /// Starts the "remote" side on its own thread; it signs until the signer is dropped.
    fn start(key: PrivateKey) -> (RemoteSigner, std::thread::JoinHandle<usize>) {
        let (tx, rx) = mpsc::channel::<Request>();
        let public_key = key.public_key();
        let server = std::thread::spawn(move || {
            let mut served = 0;
            for (message, slot) in rx {
                std::thread::sleep(std::time::Duration::from_millis(5)); // the network
                let mut slot = slot.lock().unwrap();
                slot.result = Some(Ok(key.sign_der(&message)));
                served += 1;
                if let Some(waker) = slot.waker.take() {
                    waker.wake();
                }
            }
            served
        });
        let signer = RemoteSigner {
            public_key,
            requests: Mutex::new(tx),
        };
        (signer, server)
    }
}

impl AsyncSigner for RemoteSigner {
    fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    fn sign<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a> {
        let slot = Arc::new(Mutex::new(Slot::default()));
        let sent = self
            .requests
            .lock()
            .unwrap()
            .send((message.to_vec(), Arc::clone(&slot)));
        Box::pin(async move {
            if sent.is_err() {
                return Err(SignError::Backend {
                    reason: "the signing service is gone".to_owned(),
                });
            }
            std::future::poll_fn(|cx| {
                let mut slot = slot.lock().unwrap();
                match slot.result.take() {
                    Some(result) => Poll::Ready(result),
                    None => {
                        slot.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
            .await
        })
    }
}

/// What code written against the trait does: sign, then check with the reported key.
async fn sign_and_check(signer: &dyn AsyncSigner, message: &[u8]) -> Vec<u8> {
    let signature = signer.sign(message).await.unwrap();
    signer.public_key().verify(message, &signature).unwrap();
    signature
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

#[test]
fn a_remote_signer_over_a_channel_signs_concurrently() {
    let key = PrivateKey::generate().unwrap();
    let expected = key.public_key();
    let (signer, server) = RemoteSigner::start(key);
    let signer: Arc<dyn AsyncSigner> = Arc::new(signer);
    let results = runtime().block_on(async {
        let tasks: Vec<_> = (0..8u8)
            .map(|i| {
                let signer = Arc::clone(&signer);
                // `spawn` needs a Send future: a signature may be awaited on any thread.
                tokio::spawn(async move {
                    let message = [b"payload ".as_slice(), &[i]].concat();
                    let signature = sign_and_check(signer.as_ref(), &message).await;
                    (message, signature)
                })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap());
        }
        out
    });
    for (message, signature) in &results {
        assert!(expected.verify(message, signature).is_ok());
        assert!(expected.verify(b"another message", signature).is_err());
    }
    drop(signer);
    assert_eq!(server.join().unwrap(), 8);
}

#[test]
fn a_signer_whose_service_is_gone_says_so() {
    let (signer, server) = RemoteSigner::start(PrivateKey::generate().unwrap());
    // The service stops: its receiving end is dropped when the thread ends.
    let (tx, rx) = mpsc::channel();
    drop(rx);
    *signer.requests.lock().unwrap() = tx;
    assert_eq!(server.join().unwrap(), 0);
    let err = runtime().block_on(signer.sign(b"payload")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "signing failed: the signing service is gone"
    );
    assert_eq!(
        boltseal_core::Classify::kind(&err),
        boltseal_core::ErrorKind::Unavailable
    );
}

#[test]
fn every_sync_signer_is_an_async_signer() {
    let key = PrivateKey::generate().unwrap();
    let boxed: Box<dyn Signer> = Box::new(key.clone());
    let arc: Arc<dyn Signer> = Arc::new(key.clone());
    let rt = runtime();
    let borrowed: &dyn Signer = &key;
    for signer in [&key as &dyn AsyncSigner, &boxed, &arc, &borrowed] {
        let signature = rt.block_on(sign_and_check(signer, b"payload"));
        assert!(key.public_key().verify(b"payload", &signature).is_ok());
        assert_eq!(AsyncSigner::public_key(signer), key.public_key());
    }
    // The sync interface is unchanged.
    let signature = Signer::sign(&key, b"payload").unwrap();
    assert!(
        Signer::public_key(&key)
            .verify(b"payload", &signature)
            .is_ok()
    );
}
