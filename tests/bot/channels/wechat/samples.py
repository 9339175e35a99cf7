"""The WeChat Official Account's published message-crypto vectors, copied verbatim.

- The sample code of 消息加解密说明, https://wximg.gtimg.com/shake_tv/mpwiki/cryptoDemo.zip
  (linked from https://developers.weixin.qq.com/doc/subscription/guide/dev/push/encryption.html):
  its Python ``Sample.py`` (token ``spamtest``: a compatibility-mode POST whose plaintext
  fields stand beside the ``Encrypt`` they were encrypted into) and its Java
  ``WXBizMsgCryptTest`` (token ``pamtest``: encryptions with a fixed random prefix).
- The same page's plaintext-mode example (token ``AAAAA``), and the URL verification
  example of the message-push guide
  (https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/message_push.html).
"""

ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

# --- Sample.py: decrypting a POST ---------------------------------------------------------------
TOKEN = "spamtest"
APP_ID = "wx2c2769f8efd9abc2"
TIMESTAMP = "1409735669"
NONCE = "1320562132"
MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh"
    "0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPh"
    "RjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e"
    "6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
# The plaintext fields of the same compatibility-mode POST (what ENCRYPT must decrypt to).
FIELDS = {
    "ToUserName": "gh_10f6c3c3ac5a",
    "FromUserName": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
    "CreateTime": "1409735668",
    "MsgType": "text",
    "Content": "abcdteT",
    "MsgId": "6054768590064713728",
}
POST_XML = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]>"
    "</FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]>"
    f"</Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[{ENCRYPT}]]></Encrypt></xml>"
).encode()

# --- WXBizMsgCryptTest.java: encrypting with the random prefix fixed -----------------------------
JAVA_TOKEN = "pamtest"
JAVA_APP_ID = "wxb11529c136998cb6"
JAVA_RANDOM = b"aaaabbbbccccdddd"
JAVA_REPLY = "我是中文abcd123"
JAVA_ENCRYPTED = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
JAVA_REPLY_2 = (
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]>"
    "</FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA["
    "eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]>"
    "</Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>"
)
JAVA_ENCRYPTED_2 = (
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0G"
    "aUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHi"
    "DNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmF"
    "Q44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDa"
    "hxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1"
    "k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"
)

# --- the documentation's signature examples (token AAAAA) ---------------------------------------
DOC_TOKEN = "AAAAA"
DOC_PUSH = {
    "timestamp": "1714037059",
    "nonce": "486452656",
    "signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78",
}
DOC_VERIFY = {
    "timestamp": "1714036504",
    "nonce": "1514711492",
    "echostr": "4375120948345356249",
    "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
}
