// Words people build "memorable" secrets from: frequent English words, the staples of leaked
// password lists, and the vocabulary of configuration files (session, secret, cookie, key, …).
// The strength check (secret-strength.ts) prices a word found in a secret as one choice from this
// list instead of letter by letter. Small on purpose: it only has to catch secrets a person made
// up; a random secret does not contain long words except by rare chance. Words of four letters
// or more (shorter ones turn up in random text too often to mean anything). Keep them lowercase.
export const COMMON_WORDS: readonly string[] = `
able about above across after again against almost alone along already also always among angel
animal another answer apple april area around august autumn away baby back ball banana base
baseball basketball battery beach bear beautiful because become been before begin behind being
believe below best better between bird birthday black blue board body book born both bottom
brother brown build business butterfly cake call came cannot captain card care carry case catch
cause center chair change charlie check cheese chelsea chicken child children chocolate city class
clean clear close cloud coffee cold color come common company computer config cookie cool correct
could country course cover cowboy cream crypto dakota dance daniel dark data david dead dear
december default deploy develop development different digital dinner doctor does dollar done door
down dragon dream drive during each early earth east easy eight eleven else energy engine enough
enter even evening ever every example face fact fall family famous father fear february feel field
fifty file final find fine fire first fish five flower follow food football force forest forever
forget form four free freedom friday friend from front full funny game garden george girl give
glass gold golden good great green ground group grow guitar half hammer hand happy hard have head
hear heart hello help here hidden high history hockey hold home honey hope horse hour house
however huge hundred hunter idea important inside internet iron island jack january jasmine
jessica jesus join jordan july jump june just keep kind king kitten kitty know lady land large
last later laugh learn leave left less letter level life light like line lion list listen little
live local login long look lose love lucky machine made magic main make many march master matrix
matter maybe mean member merlin michael might million mind minute mirror miss moment monday money
monkey month moon more morning most mother mountain move much music must mustang name nature near
need never news next nice night nine ninja noon north nothing notice november number ocean october
office often once only open orange order other over page paper parent part party pass password
people pepper perfect person phone picture piece place plan plant play please point police power
pretty princess private problem production program public purple question quick quiet rabbit rain
rainbow ranger read ready real reason record remember rest right river road rock room round rule
runner safe same saturday school science scooter second secret secure security seem sentence
september server service session seven shadow shall share ship short should show side signal
silver simple since sing sister size sleep slow small smile snake snow soccer some something song
soon sound south space special spider spring square staging staple star start state station steel
still stone stop story street strong study such summer sunday sunshine super superman sure system
table take talk teacher team tell temporary test tester testing than thank that their them then
there these they thing think third this those though thousand three through thursday tiger time
today together token told tomorrow took toward town tree trouble true trust tuesday turn twelve
twenty twitter under understand unit until upon usual valley value very voice wait walk wall want
warm wash watch water weather wednesday week welcome well went were west what wheel when where
which while white whole wide will wind window winter wish with without woman wonder word work
world would write wrong yard year yellow yesterday young your yourself zero
`
  .split(/\s+/)
  .filter((word) => word !== "");
