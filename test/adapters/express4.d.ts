// express4 is Express 4 installed under an alias for the adapter tests; its API as used there is
// the same as Express 5's, so it borrows those types.
declare module "express4" {
  import express from "express";
  export default express;
}
