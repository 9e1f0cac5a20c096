use context::ctx_aware;

#[ctx_aware]
async fn f() {
    let g = async {
        #[shield]
        async {}.await;
    };
    g.await;
}

fn main() {}
